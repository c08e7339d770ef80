// cert-manager's CertificateRequest as this controller reads and writes it (cert-manager.io/v1). Not our
// API: only the fields an external issuer uses, parsed once at the edge. The contract, from cert-manager's
// external-issuer documentation and its issuer library: act only on requests whose issuerRef names our
// group; never sign before the `Approved` condition is True; a `Denied` request is answered with
// Ready=False/Denied; the `Ready` condition's reasons are Pending, Issued, Failed and Denied, and a
// failed or denied request carries `status.failureTime` (cert-manager's backoff before the next request
// counts from it); `status.certificate` and `status.ca` are base64 of PEM.
import { z } from "zod";
import { GROUP, kinds } from "../../api/v1alpha1/group.ts";
import type { KubeObject, ResourceType } from "../../runtime/kube/resource.ts";

export const CERT_MANAGER_GROUP = "cert-manager.io";
export const CERT_MANAGER_VERSION = "v1";

export const certificateRequests: ResourceType = {
  group: CERT_MANAGER_GROUP,
  version: CERT_MANAGER_VERSION,
  plural: "certificaterequests",
  kind: "CertificateRequest",
  namespaced: true,
};

export const CrConditionType = { Ready: "Ready", Approved: "Approved", Denied: "Denied" } as const;

/** cert-manager's Ready reasons (pkg/apis/certmanager/v1: CertificateRequestReason*). */
export const CrReason = { Pending: "Pending", Issued: "Issued", Failed: "Failed", Denied: "Denied" } as const;
export type CrReason = (typeof CrReason)[keyof typeof CrReason];

/** The issuer kinds a request may name with `issuerRef.group: certbridge.dev`. */
export const ISSUER_KINDS = [kinds.VendorIssuer.kind, kinds.ClusterVendorIssuer.kind] as const;
export type IssuerKind = (typeof ISSUER_KINDS)[number];

const CrCondition = z.looseObject({
  type: z.string(),
  status: z.enum(["True", "False", "Unknown"]),
  reason: z.string().optional(),
  message: z.string().optional(),
  lastTransitionTime: z.string().optional(),
});
export type CrCondition = z.infer<typeof CrCondition>;

export const CertificateRequestSpec = z.looseObject({
  /** base64 of the PEM CSR (`format: byte`). */
  request: z.string().min(1),
  issuerRef: z.looseObject({ name: z.string().min(1), kind: z.string().optional(), group: z.string().optional() }),
  duration: z.string().optional(),
  usages: z.array(z.string()).optional(),
  isCA: z.boolean().optional(),
});

export const CertificateRequestStatus = z.looseObject({
  conditions: z.array(CrCondition).optional(),
  certificate: z.string().optional(),
  ca: z.string().optional(),
  failureTime: z.string().optional(),
});
export type CertificateRequestStatus = z.infer<typeof CertificateRequestStatus>;

export interface CertificateRequest extends KubeObject {
  spec: z.infer<typeof CertificateRequestSpec>;
  status?: CertificateRequestStatus;
}

/** The request as this controller reads it, or why it cannot (a malformed object is not ours to fix). */
export function parseCertificateRequest(object: KubeObject): { ok: true; cr: CertificateRequest } | { ok: false; problem: string } {
  const spec = CertificateRequestSpec.safeParse((object as { spec?: unknown }).spec);
  if (!spec.success) return { ok: false, problem: `spec: ${spec.error.issues[0]?.message ?? "invalid"}` };
  const status = CertificateRequestStatus.safeParse((object as { status?: unknown }).status ?? {});
  return { ok: true, cr: { ...object, spec: spec.data, ...(status.success ? { status: status.data } : {}) } };
}

/**
 * The issuer a request names, when it is ours: `issuerRef.group` certbridge.dev and one of our kinds
 * (cert-manager's default kind is Issuer, which no external group serves: a missing kind is not ours).
 */
export function ourIssuerRef(object: KubeObject | undefined): { readonly kind: IssuerKind; readonly name: string } | undefined {
  const ref = (object as { spec?: { issuerRef?: { group?: unknown; kind?: unknown; name?: unknown } } } | undefined)?.spec?.issuerRef;
  if (ref?.group !== GROUP || typeof ref.name !== "string" || ref.name === "") return undefined;
  return (ISSUER_KINDS as readonly unknown[]).includes(ref.kind) ? { kind: ref.kind as IssuerKind, name: ref.name } : undefined;
}

export function conditionOf(status: CertificateRequestStatus | undefined, type: string): CrCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/** The CSR of the request, as PEM (the API carries base64 of it). */
export function csrPemOf(cr: CertificateRequest): string {
  return Buffer.from(cr.spec.request, "base64").toString("utf8");
}

export const toBase64 = (pem: string): string => Buffer.from(pem, "utf8").toString("base64");
