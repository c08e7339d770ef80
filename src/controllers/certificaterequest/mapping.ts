// What a CertificateRequest asks for, mapped onto what the issuer's vendor can issue: `duration` becomes
// the vendor's validity, `usages` and `isCA` are checked against what the vendor's certificates carry.
// cert-manager lets an issuer ignore a requested attribute; we honour what the vendor can and refuse,
// with a sentence naming what it can, what it cannot (a certificate without the usage asked for would
// fail where it is used, far from here). Pure: case tables in mapping.test.ts.
import { parseDuration } from "../../api/v1alpha1/common.ts";
import type { CertificateOrderOptions } from "../../ports/certificate-authority.ts";
import type { IssuerOptions } from "../vendorissuer/issuer.ts";

export type { IssuerOptions } from "../vendorissuer/issuer.ts";

/** cert-manager's default when a request names no usages. */
export const DEFAULT_USAGES = ["digital signature", "key encipherment"] as const;

/** Cloudflare's validity_days accepts at most 15 years. */
export const CLOUDFLARE_MAX_DAYS = 5475;

/**
 * The usages each product can put into its certificates (cert-manager's spelling). Everything else —
 * `cert sign`, `crl sign`, `any`, code signing, time stamping, OCSP signing, IPsec — no vendor here issues.
 */
const KEY_USAGES = ["signing", "digital signature", "key encipherment"] as const;
export const VENDOR_USAGES: Readonly<Record<string, readonly string[]>> = {
  // API Shield mTLS client certificates: client authentication only.
  cloudflare: [...KEY_USAGES, "client auth"],
  // Public TLS certificates: server authentication (and, by profile, client authentication).
  "sectigo/SSL": [...KEY_USAGES, "server auth", "client auth"],
  // S/MIME: signed and encrypted mail, non-repudiation, client authentication.
  "sectigo/Client": [...KEY_USAGES, "content commitment", "email protection", "s/mime", "client auth"],
  // Device certificates: machine authentication, as the device profile defines.
  "sectigo/Device": [...KEY_USAGES, "client auth", "server auth"],
};

export function productOf(issuer: IssuerOptions): string {
  return issuer.vendor === "cloudflare" ? "cloudflare" : `sectigo/${issuer.options.type}`;
}

const PRODUCT_NAMES: Readonly<Record<string, string>> = {
  cloudflare: "Cloudflare API Shield client certificates",
  "sectigo/SSL": "Sectigo SSL certificates",
  "sectigo/Client": "Sectigo client (S/MIME) certificates",
  "sectigo/Device": "Sectigo device certificates",
};

export interface RequestedAttributes {
  readonly duration?: string | undefined;
  readonly usages?: readonly string[] | undefined;
  readonly isCA?: boolean | undefined;
}

export type Mapped =
  | {
      readonly ok: true;
      /** Requested validity in whole days; 0 = the issuer's default (its term or validityDays, else the vendor's). */
      readonly lifetimeDays: number;
      /** The issuer's block as the order carries it: without its default days when the request names a duration. */
      readonly vendorOptions: CertificateOrderOptions;
    }
  | { readonly ok: false; readonly message: string };

export function mapRequest(issuer: IssuerOptions, req: RequestedAttributes): Mapped {
  const product = productOf(issuer);
  const name = PRODUCT_NAMES[product] ?? product;
  if (req.isCA === true) return { ok: false, message: `isCA is not possible: ${name} are never CA certificates` };
  const allowed = VENDOR_USAGES[product] ?? [];
  const refused = (req.usages ?? DEFAULT_USAGES).filter((u) => !allowed.includes(u));
  if (refused.length > 0) {
    return { ok: false, message: `usages ${refused.map((u) => `"${u}"`).join(", ")} cannot be issued: ${name} carry only ${allowed.join(", ")}` };
  }
  if (req.duration === undefined) return { ok: true, lifetimeDays: 0, vendorOptions: tagged(issuer) };
  const ms = parseDuration(req.duration);
  if (ms === undefined || ms <= 0) return { ok: false, message: `duration "${req.duration}" is not a positive duration` };
  // Vendors count whole days: round up, so the certificate is never shorter than asked for by the rounding.
  const days = Math.max(1, Math.ceil(ms / 86_400_000));
  if (issuer.vendor === "cloudflare" && days > CLOUDFLARE_MAX_DAYS)
    return { ok: false, message: `duration ${req.duration} (${days} days) is longer than Cloudflare issues (${CLOUDFLARE_MAX_DAYS} days)` };
  return { ok: true, lifetimeDays: days, vendorOptions: withoutDefaultDays(issuer) };
}

function tagged(issuer: IssuerOptions): CertificateOrderOptions {
  return issuer.vendor === "sectigo" ? { vendor: "sectigo", options: issuer.options } : { vendor: "cloudflare", options: issuer.options };
}

/** The request's duration wins over the issuer's default days (the adapters prefer the block's days). */
function withoutDefaultDays(issuer: IssuerOptions): CertificateOrderOptions {
  if (issuer.vendor === "sectigo") {
    const { term: _t, ...options } = issuer.options;
    return { vendor: "sectigo", options };
  }
  const { validityDays: _v, ...options } = issuer.options;
  return { vendor: "cloudflare", options };
}
