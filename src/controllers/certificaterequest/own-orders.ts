// The look-ups that tie what the annotation names to this request's own orders (ADR 0022): the
// fingerprint we compute for its CSR and issuer now, and the recorded vendorRef confirmed by the
// intent's own look-up before anything cancels it. The decisions are pure (record-check.ts,
// ordering/ownership.ts); this module asks the CA.
import type { CertificateAuthority } from "../../ports/certificate-authority.ts";
import { type OwnRefs, confirmOwnRefs } from "../ordering/ownership.ts";
import { type OrderOwner, type PendingOrder, orderIntentOf } from "../ordering/record.ts";
import type { SweepContext } from "../ordering/sweeps.ts";
import type { IssuerOptions } from "../vendorissuer/issuer.ts";
import type { CertificateRequest } from "./cert-manager.ts";
import type { VendorAccess } from "./access.ts";
import type { CertificateRequestDeps, RequestContext } from "./context.ts";
import { mapRequest } from "./mapping.ts";
import { buildRequestOrder, ownerOf } from "./order.ts";
import type { OrderAnnotation } from "./order-annotation.ts";
import { withTrustedFingerprints } from "./record-check.ts";

/** What `ca` computes for this request's order through an issuer with `options` now; undefined when it has none or the order cannot be built. */
export async function expectedFingerprint(cr: CertificateRequest, options: IssuerOptions, ca: CertificateAuthority): Promise<string | undefined> {
  if (ca.fingerprint === undefined) return undefined;
  const mapped = mapRequest(options, cr.spec);
  if (!mapped.ok) return undefined;
  const built = await buildRequestOrder(cr, mapped);
  return built.ok ? ca.fingerprint(built.order) : undefined;
}

/**
 * Is the recorded order's vendorRef one of this request's orders? `order` must have passed
 * record-check.ts (marker, key, fingerprint): the look-up it makes is bound to the request's UID
 * marker (Sectigo) or its CSR (Cloudflare), with no known refs hidden from it.
 */
export async function confirmRecordedRef(
  c: Pick<SweepContext, "ca" | "signal" | "vendorOptions" | "onCall">,
  owner: OrderOwner,
  order: PendingOrder & { readonly vendorRef: string },
): Promise<OwnRefs> {
  const intent = orderIntentOf(owner, { ...order, since: order.startedTime }, c.vendorOptions, []);
  return confirmOwnRefs({ ca: c.ca, signal: c.signal, onCall: c.onCall }, intent, [order.vendorRef]);
}

/** The annotation's record with only a fingerprint that is the one computed now for this request (record-check.ts). */
export async function withFingerprintsChecked(record: OrderAnnotation, c: RequestContext, access: VendorAccess): Promise<OrderAnnotation> {
  return withTrustedFingerprints(record, await expectedFingerprint(c.port.obj, access.issuer.options, access.ca)).record;
}

/** The vendor calls of this request's sweeps and teardown, through `access`. */
export function sweepContextOf(deps: CertificateRequestDeps, c: RequestContext, access: VendorAccess): SweepContext {
  const vendor = access.issuer.options.vendor;
  return {
    owner: ownerOf(c.port.obj),
    ca: access.ca,
    vendorOptions: access.issuer.options,
    vendor,
    now: c.now,
    windowMs: access.timing.windowMs,
    signal: c.signal,
    log: c.log,
    notify: c.record,
    onCall: (operation) => deps.countCall?.(vendor, operation),
  };
}
