// Before a paid order: what the finished certificate will need that can be checked without paying.
// A certificate whose PKCS12 keystore cannot be built can never be written, and a lifetime the
// vendor cannot honour would buy the wrong certificate; both are shown as a condition with the next
// step, and nothing is ordered (no key persisted, no intent, no budget spent). The password check
// makes no vendor call at all; the lifetime check asks the vendor what it would issue, a read.
import { Reason } from "../../api/v1alpha1/conditions.ts";
import { type ManagedCertificateSpec, requestedLifetimeMs } from "../../api/v1alpha1/managedcertificate.ts";
import { type CertificateAuthority, orderOptionsOf } from "../../ports/certificate-authority.ts";
import type { CertificateContext, SecretAccess } from "./context.ts";
import { KEYSTORE_RECHECK_MS, keystorePassword } from "./keystore.ts";
import { judgeLifetime } from "./lifetime.ts";
import { lifetimeDaysOf } from "./order.ts";

/** A refused lifetime is looked at again this often: a profile's terms can change at the vendor (the spec's change wakes us anyway). */
export const LIFETIME_RECHECK_MS = 10 * 60_000;

const VENDOR_NAMES = { cloudflare: "Cloudflare", sectigo: "Sectigo" } as const;

export type Preflight =
  /** `rounded`: the vendor issues a slightly different lifetime than asked; said in Issuing and an Event. */
  | { readonly ok: true; readonly rounded?: string | undefined }
  | { readonly ok: false; readonly reason: string; readonly message: string; readonly requeueAfterMs: number };

export async function preflight(ctx: CertificateContext, io: SecretAccess, ca: CertificateAuthority): Promise<Preflight> {
  const spec = ctx.mc.spec;
  const password = await keystorePassword(io.client, ctx.owner.namespace, spec, ctx.signal);
  if (!password.ok) {
    const ref = spec.additionalOutputFormats?.find((f) => f.type === "PKCS12")?.passwordSecretRef;
    return {
      ok: false,
      reason: Reason.SecretNotFound,
      message: `${password.problem}. Create it with the keystore password under key "${ref?.key ?? "?"}"; nothing is ordered until then (looked at again every minute).`,
      requeueAfterMs: KEYSTORE_RECHECK_MS,
    };
  }
  const requestedMs = requestedLifetimeMs(spec);
  if (requestedMs === undefined) return { ok: true };
  const days = lifetimeDaysOf(spec);
  // A vendor that does not say issues whole days as asked (Cloudflare's validity_days).
  let answer = { days, offered: "whole days" };
  if (ca.validityDays !== undefined) {
    answer = await ca.validityDays(orderOptionsOf(spec), days, ctx.signal);
    ctx.countCall(ctx.vendor, "validityDays");
  }
  const verdict = judgeLifetime({ requestedMs, asked: askedAs(spec), offeredDays: answer.days, offered: answer.offered, vendor: VENDOR_NAMES[ctx.vendor] });
  switch (verdict.kind) {
    case "refused":
      return { ok: false, reason: Reason.DurationUnavailable, message: verdict.message, requeueAfterMs: LIFETIME_RECHECK_MS };
    case "rounded":
      return { ok: true, rounded: verdict.message };
    default:
      return { ok: true };
  }
}

/** How the spec asked for its lifetime, as a user would find it. */
function askedAs(spec: ManagedCertificateSpec): string {
  if (spec.duration !== undefined) return `spec.duration ${spec.duration}`;
  if (spec.sectigo?.term !== undefined) return `spec.sectigo.term ${spec.sectigo.term}`;
  if (spec.cloudflare?.validityDays !== undefined) return `spec.cloudflare.validityDays ${spec.cloudflare.validityDays}`;
  return "the requested lifetime";
}
