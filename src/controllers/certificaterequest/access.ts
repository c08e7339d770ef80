// The issuer a request names and the vendor behind it: the parsed issuer, the connection resolved for
// the request's namespace (a ClusterVendorConnection's selector admits the request's namespace, not the
// issuer's), the CA port and the engine's timing. Or why they cannot be had right now.
import type { CertificateAuthority } from "../../ports/certificate-authority.ts";
import type { ResolvedConnection } from "../../ports/connection.ts";
import { LOOKUP_FIRST_MS, type OrderTiming, type OrderVendor, settleWindowMs } from "../ordering/timing.ts";
import type { ResolvePurpose } from "../shared/connections.ts";
import { type Issuer, type IssuerKind, issuerKey, parseIssuer } from "../vendorissuer/issuer.ts";
import type { CertificateRequestDeps } from "./context.ts";

export interface VendorAccess {
  readonly issuer: Issuer;
  readonly connection: ResolvedConnection;
  readonly ca: CertificateAuthority;
  readonly timing: OrderTiming;
}

export type IssuerLookup =
  | { readonly ok: true; readonly issuer: Issuer; readonly object: { readonly generation?: number | undefined; readonly ready?: IssuerReady | undefined } }
  | { readonly ok: false; readonly message: string };

export interface IssuerReady {
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
  readonly observedGeneration?: number;
}

export function lookUpIssuer(deps: CertificateRequestDeps, kind: IssuerKind, namespace: string, name: string, label: string): IssuerLookup {
  const object = deps.issuers(kind, issuerKey(kind, namespace, name));
  if (object === undefined) return { ok: false, message: `${label} does not exist` };
  const parsed = parseIssuer(kind, object);
  if (!parsed.ok) return { ok: false, message: parsed.message };
  const conditions = (object as { status?: { conditions?: Array<IssuerReady & { type: string }> } }).status?.conditions;
  return { ok: true, issuer: parsed.issuer, object: { generation: object.metadata.generation, ready: conditions?.find((c) => c.type === "Ready") } };
}

/** Is the issuer Ready for its current spec? (a condition computed for an older generation does not count) */
export function issuerIsReady(found: Extract<IssuerLookup, { ok: true }>): { ok: true } | { ok: false; message: string } {
  const ready = found.object.ready;
  if (ready === undefined) return { ok: false, message: "it has no Ready condition yet" };
  const generation = found.object.generation;
  if (generation !== undefined && ready.observedGeneration !== undefined && ready.observedGeneration < generation)
    return { ok: false, message: "its Ready condition is older than its spec" };
  if (ready.status !== "True") return { ok: false, message: `it is not Ready (${[ready.reason, ready.message].filter(Boolean).join(": ")})` };
  return { ok: true };
}

export function timingOf(deps: CertificateRequestDeps, vendor: OrderVendor): OrderTiming {
  return {
    windowMs: settleWindowMs(vendor, deps.settleWindowMs),
    lookupFirstMs: deps.lookupFirstMs ?? LOOKUP_FIRST_MS,
    ...(deps.pollBackoff ? { pollBackoff: deps.pollBackoff } : {}),
  };
}

export async function vendorAccess(
  deps: CertificateRequestDeps,
  issuer: Issuer,
  namespace: string,
  purpose: ResolvePurpose,
  signal: AbortSignal,
): Promise<{ ok: true; access: VendorAccess } | { ok: false; reason: string; message: string }> {
  const vendor = issuer.options.vendor;
  const lookup = await deps.connections.resolve(issuer.connectionRef, namespace, vendor, signal, { purpose });
  if (!lookup.ok) return { ok: false, reason: lookup.reason, message: lookup.message };
  return {
    ok: true,
    access: { issuer, connection: lookup.connection, ca: deps.ports.certificateAuthority(lookup.connection), timing: timingOf(deps, vendor) },
  };
}
