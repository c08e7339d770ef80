// A first intent's seal: an HMAC over the resource's UID and the intent's record (as it is read back),
// keyed by the connection's credentials. It proves the operator wrote the annotation, where nothing
// else can once the key it names is gone (intent-trust.ts). A tenant of a ClusterVendorConnection
// cannot read its credentials and so cannot seal an intent; a tenant of its own VendorConnection holds
// them, and could reach that account's vendor objects with them directly anyway. Credentials that
// change after sealing leave the seal unverifiable, and the key check decides alone.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { canonicalJson } from "../shared/canonical-json.ts";
import type { IntentRecord } from "./intent.ts";

const DOMAIN = "certbridge.dev/order-intent seal v1";

/** The HMAC key: a hash of the credentials, never the credentials themselves. */
function sealKey(credentials: Readonly<Record<string, string>>): Buffer {
  return createHash("sha256").update(DOMAIN).update("\n").update(canonicalJson(credentials)).digest();
}

/** A connection without credentials has no secret to seal with (none is valid then). */
export const canSeal = (credentials: Readonly<Record<string, string>>): boolean => Object.values(credentials).some((v) => v !== "");

export function sealOf(credentials: Readonly<Record<string, string>>, uid: string, record: IntentRecord): string {
  return createHmac("sha256", sealKey(credentials)).update(uid).update("\n").update(canonicalJson(record)).digest("base64url");
}

export function sealValid(seal: string | undefined, credentials: Readonly<Record<string, string>>, uid: string, record: IntentRecord): boolean {
  if (seal === undefined || !canSeal(credentials)) return false;
  const want = Buffer.from(sealOf(credentials, uid, record));
  const got = Buffer.from(seal);
  return got.length === want.length && timingSafeEqual(got, want);
}
