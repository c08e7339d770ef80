// Writing the TLS Secret: once per issuance (leaf first, the key in the spec's encoding, ca.crt, the
// extra formats and the PKCS12 keystore), and again from the stored key plus a free collect when the
// Secret was lost or damaged (restore), so a lost Secret is never paid for twice. A foreign Secret is
// never touched. (Key repair: key-repair.ts; a Secret left by a previous incarnation: adoption.ts.)
import { X509Certificate, type KeyObject } from "node:crypto";
import type { CertificateAuthority, IssueOutcome } from "../../ports/certificate-authority.ts";
import { VendorError, isRetryable } from "../../ports/vendor-error.ts";
import { keyMatchesCertificate } from "../../pki/inspect.ts";
import { classifySecret, type Secret, writeOwnedSecret } from "../shared/owned-secret.ts";
import type { CertificateContext, SecretAccess, Status } from "./context.ts";
import { loadKey } from "./keys.ts";
import { keystoreData } from "./keystore.ts";
import { buildOrder } from "./order.ts";
import { desiredTlsSecret, leafOf, readTargetSecret } from "./secret.ts";

export type DeliveryOutcome =
  | { readonly kind: "written" }
  /** A Secret of that name is not ours: nothing written (the order stays and is collected again, free). */
  | { readonly kind: "conflict"; readonly message: string }
  /** The PKCS12 password Secret or its key is missing: nothing written, look again later. */
  | { readonly kind: "keystoreMissing"; readonly message: string };

export interface Delivery {
  readonly chainPem: string;
  readonly caPem?: string | undefined;
  readonly vendorRef: string;
  readonly revision: number;
  readonly key: KeyObject;
}

/**
 * The TLS Secret for an issued certificate. Our Secret or none at all is judged from the cache: the
 * write is guarded (create, or an apply carrying the resourceVersion judged), so a cache behind our own
 * writes costs one read then, and the common case none (issue 13). Anything else is read live first.
 */
export async function writeCertificateSecret(ctx: CertificateContext, io: SecretAccess, d: Delivery): Promise<DeliveryOutcome> {
  const spec = ctx.mc.spec;
  const cached = io.secrets.get(`${ctx.owner.namespace}/${spec.secretName}`);
  const target =
    classifySecret(cached, ctx.owner) === "foreign"
      ? await readTargetSecret(io, ctx.owner, spec.secretName, true, ctx.signal)
      : { secret: cached, ownership: classifySecret(cached, ctx.owner) };
  // No Secret without the keystore asked for.
  const keystore = await keystoreData(io.client, ctx.owner.namespace, ctx.owner.name, spec, d.chainPem, d.key, ctx.signal);
  if (!keystore.ok) return { kind: "keystoreMissing", message: keystore.message };
  const desired = desiredTlsSecret(
    ctx.owner,
    spec,
    { chainPem: d.chainPem, ...(d.caPem === undefined ? {} : { caPem: d.caPem }), vendorRef: d.vendorRef, revision: d.revision },
    d.key,
    keystore.data,
  );
  const wrote = target.ownership === "foreign" ? "conflict" : await writeOwnedSecret(io.client, ctx.owner, desired, target.secret, ctx.signal);
  if (wrote === "conflict")
    return { kind: "conflict", message: `Secret ${spec.secretName} exists and is not managed by this ManagedCertificate; it is left untouched.` };
  return { kind: "written" };
}

export type RestoreOutcome = { readonly kind: "restored" } | { readonly kind: "impossible" } | { readonly kind: "keystoreMissing"; readonly message: string };

/**
 * The TLS Secret is gone or damaged but the key of the current certificate is still in the key
 * Secret: collect the certificate again (free) and re-create the Secret instead of ordering anew.
 * `impossible`: the caller issues instead.
 */
export async function restoreSecret(
  ctx: CertificateContext,
  io: SecretAccess,
  ca: CertificateAuthority,
  status: Status,
  live: Secret | undefined,
): Promise<RestoreOutcome> {
  const impossible: RestoreOutcome = { kind: "impossible" };
  if (status.vendorRef === undefined || status.revision === undefined || status.serialNumber === undefined) return impossible;
  const { key } = await loadKey(io, ctx.owner, status.revision, undefined, ctx.signal);
  if (key === undefined) return impossible;
  let out: IssueOutcome;
  try {
    out = await ca.collect(status.vendorRef, await buildOrder(ctx.mc.spec, ctx.owner, ctx.specHash, key, status.revision), ctx.signal);
    ctx.countCall(ctx.vendor, "collect");
  } catch (error) {
    if (error instanceof VendorError && !isRetryable(error.kind)) return impossible;
    throw error;
  }
  if (out.state !== "issued") return impossible;
  const leaf = leafOf(out.chainPem);
  if (leaf === undefined || !keyMatchesCertificate(key, leaf) || new X509Certificate(leaf).serialNumber.toLowerCase() !== status.serialNumber.toLowerCase())
    return impossible;
  const keystore = await keystoreData(io.client, ctx.owner.namespace, ctx.owner.name, ctx.mc.spec, out.chainPem, key, ctx.signal);
  if (!keystore.ok) return { kind: "keystoreMissing", message: keystore.message };
  const desired = desiredTlsSecret(
    ctx.owner,
    ctx.mc.spec,
    { chainPem: out.chainPem, ...(out.caPem === undefined ? {} : { caPem: out.caPem }), vendorRef: status.vendorRef, revision: status.revision },
    key,
    keystore.data,
  );
  const wrote = await writeOwnedSecret(io.client, ctx.owner, desired, classifySecret(live, ctx.owner) === "absent" ? undefined : live, ctx.signal);
  if (wrote === "conflict") return impossible;
  ctx.log.info(
    { secret: ctx.mc.spec.secretName, revision: status.revision },
    "re-created the Secret from the stored key and the vendor's copy of the certificate",
  );
  return { kind: "restored" };
}
