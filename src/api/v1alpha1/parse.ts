// Parse once at the edge: unknown JSON from the API server (or a sample file) becomes a typed resource
// with defaults applied, or a list of human sentences for the InvalidSpec condition.
import type { z } from "zod";
import { ManagedCertificate } from "./managedcertificate.ts";
import { ProvisioningKey } from "./provisioningkey.ts";
import { ClusterVendorConnection, VendorConnection } from "./vendorconnection.ts";
import { ClusterVendorIssuer, VendorIssuer } from "./vendorissuer.ts";

export type ParseResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problems: readonly string[] };

/** "spec.dnsNames[2]" from zod's path segments. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

export function parseWith<S extends z.ZodType>(schema: S, input: unknown): ParseResult<z.output<S>> {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  const problems = result.error.issues.map((issue) => {
    const where = formatPath(issue.path);
    return where === "" ? issue.message : `${where}: ${issue.message}`;
  });
  return { ok: false, problems: [...new Set(problems)] };
}

export const parseManagedCertificate = (input: unknown) => parseWith(ManagedCertificate, input);
export const parseProvisioningKey = (input: unknown) => parseWith(ProvisioningKey, input);
export const parseVendorConnection = (input: unknown) => parseWith(VendorConnection, input);
export const parseClusterVendorConnection = (input: unknown) => parseWith(ClusterVendorConnection, input);
export const parseVendorIssuer = (input: unknown) => parseWith(VendorIssuer, input);
export const parseClusterVendorIssuer = (input: unknown) => parseWith(ClusterVendorIssuer, input);

export type CertbridgeResource = ManagedCertificate | ProvisioningKey | VendorConnection | ClusterVendorConnection | VendorIssuer | ClusterVendorIssuer;

const byKind = {
  ManagedCertificate,
  ProvisioningKey,
  VendorConnection,
  ClusterVendorConnection,
  VendorIssuer,
  ClusterVendorIssuer,
} as const;

/** Any certbridge object, dispatched on its kind. */
export function parseResource(input: unknown): ParseResult<CertbridgeResource> {
  const kind = typeof input === "object" && input !== null ? (input as { kind?: unknown }).kind : undefined;
  if (typeof kind !== "string" || !Object.hasOwn(byKind, kind)) {
    return { ok: false, problems: [`kind: expected one of ${Object.keys(byKind).join(", ")}, got ${JSON.stringify(kind)}`] };
  }
  return parseWith(byKind[kind as keyof typeof byKind] as z.ZodType<CertbridgeResource>, input);
}

/** A sentence for the InvalidSpec condition message (bounded, so status stays small). */
export function problemsMessage(problems: readonly string[], max = 5): string {
  const shown = problems.slice(0, max).join("; ");
  return problems.length > max ? `${shown}; and ${problems.length - max} more` : shown;
}
