// How a ManagedCertificate speaks to the ordering engine: its order (names, key, lifetime, vendor
// block), the revision a new attempt orders, and which vendor references it already accounts for.
import type { KeyObject } from "node:crypto";
import { type ManagedCertificateSpec, requestedLifetimeMs } from "../../api/v1alpha1/managedcertificate.ts";
import { type CertificateOrder, lookupNameOf, orderOptionsOf } from "../../ports/certificate-authority.ts";
import type { ResolvedConnection } from "../../ports/connection.ts";
import { createCsr } from "../../pki/csr.ts";
import type { SecretOwner } from "../shared/owned-secret.ts";
import type { CertificateObject, Status } from "./context.ts";
import { intentOf } from "./intent.ts";
import { type OrderedAs, publicKeySha256 } from "./keys.ts";

/** The order for `revision` of this spec, with a CSR signed by `key` (the one place an order is made). */
export async function buildOrder(
  spec: ManagedCertificateSpec,
  owner: SecretOwner,
  specHash: string,
  key: KeyObject,
  revision: number,
): Promise<CertificateOrder> {
  const commonName = commonNameOf(spec);
  const sans = { dnsNames: spec.dnsNames ?? [], ipAddresses: spec.ipAddresses ?? [], emailAddresses: spec.emailAddresses ?? [], uris: spec.uris ?? [] };
  const csrPem = await createCsr({ privateKey: key, subject: { ...(spec.subject ?? {}), ...(commonName === undefined ? {} : { commonName }) }, sans });
  return {
    owner: { uid: owner.uid, namespace: owner.namespace, name: owner.name, revision, specHash: specHash.slice(0, 16) },
    csrPem,
    publicKeySha256: publicKeySha256(key),
    ...(commonName === undefined ? {} : { commonName }),
    ...sans,
    lifetimeDays: lifetimeDaysOf(spec),
    vendorOptions: orderOptionsOf(spec),
  };
}

function commonNameOf(spec: ManagedCertificateSpec): string | undefined {
  return spec.commonName ?? spec.dnsNames?.[0] ?? spec.ipAddresses?.[0] ?? spec.emailAddresses?.[0];
}

/** What orders of this spec are found by (stored with a revision's key: keys.ts OrderedAs). */
export function orderedAsOf(spec: ManagedCertificateSpec, specHash: string): OrderedAs {
  const commonName = commonNameOf(spec);
  const lookupName = lookupNameOf({ vendorOptions: orderOptionsOf(spec), ...(commonName === undefined ? {} : { commonName }), dnsNames: spec.dnsNames ?? [] });
  return { spec: specHash.slice(0, 16), ...(lookupName === undefined ? {} : { lookupName }) };
}

/** The lifetime an order asks for, in whole days (rounded up); 0 = the vendor's default. */
export function lifetimeDaysOf(spec: ManagedCertificateSpec): number {
  const lifetime = requestedLifetimeMs(spec);
  return lifetime === undefined ? 0 : Math.max(1, Math.ceil(lifetime / 86_400_000));
}

/** The revision a new attempt orders: failed attempts move it on, so a dead order is never "found" again. */
export function nextRevision(status: Status): number {
  return (status.revision ?? 0) + 1 + (status.failedIssuanceAttempts ?? 0);
}

/** The issuance budget is per connection. */
export function connectionKey(c: ResolvedConnection): string {
  return `${c.kind}/${c.namespace ?? ""}/${c.name}`;
}

/** Vendor references the resource accounts for: a lookup never "finds" them, a sweep never cancels them. */
export function knownVendorRefs(obj: CertificateObject): string[] {
  const status = obj.status ?? {};
  const refs = new Set<string>();
  const inFlight = intentOf(obj)?.record.vendorRef;
  if (status.vendorRef !== undefined) refs.add(status.vendorRef);
  if (inFlight !== undefined) refs.add(inFlight);
  for (const r of status.pendingRevocations ?? []) refs.add(r.vendorRef);
  for (const s of status.orderSweeps ?? []) for (const k of s.keep) refs.add(k);
  return [...refs];
}
