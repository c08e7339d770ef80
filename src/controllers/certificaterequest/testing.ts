// Builders for the CertificateRequest controller's unit tests: a FakeKubeApi whose status apply on
// CertificateRequests merges conditions by type as the API server does for cert-manager's list-map
// (the shared fake replaces status whole), a request built from a real CSR, an issuer, and a reconciler
// on them (a vendor shared by every request: test-support.ts).
import { generateKeyPairSync } from "node:crypto";
import pino from "pino";
import type { CertificateAuthority } from "../../ports/certificate-authority.ts";
import type { ResolvedConnection } from "../../ports/connection.ts";
import { createCsr } from "../../pki/csr.ts";
import { FakeClock } from "../../runtime/clock.ts";
import type { KubeApi } from "../../runtime/kube/api.ts";
import { FakeKubeApi } from "../../runtime/kube/fake.ts";
import type { KubeObject, ResourceType } from "../../runtime/kube/resource.ts";
import { IssuanceBudget } from "../ordering/budget.ts";
import type { IssuerKind } from "../vendorissuer/issuer.ts";
import { type CertificateRequest, certificateRequests, toBase64 } from "./cert-manager.ts";
import type { RequestStep } from "./context.ts";
import { CertificateRequestReconciler } from "./reconciler.ts";

export const log = pino({ level: "silent" });
export const T0 = Date.parse("2026-12-01T10:00:00Z");

/** The API server's server-side apply of a CertificateRequest status: our fields, others' conditions kept. */
export class CertManagerFakeApi implements KubeApi {
  readonly fake: FakeKubeApi;
  readonly #owned = new Map<string, Set<string>>();

  constructor(fake = new FakeKubeApi()) {
    this.fake = fake;
  }

  get: KubeApi["get"] = (...a) => this.fake.get(...a);
  list: KubeApi["list"] = (...a) => this.fake.list(...a);
  create: KubeApi["create"] = (...a) => this.fake.create(...a);
  mergePatch: KubeApi["mergePatch"] = (...a) => this.fake.mergePatch(...a);
  delete: KubeApi["delete"] = (...a) => this.fake.delete(...a);

  apply<T extends KubeObject>(type: ResourceType, object: T, opts: { subresource?: "status"; force?: boolean; signal?: AbortSignal } = {}): Promise<T> {
    if (type.plural !== certificateRequests.plural || opts.subresource !== "status") return this.fake.apply(type, object, opts);
    const meta = object.metadata;
    const current = this.fake.peek<KubeObject & { status?: Record<string, unknown> }>(type, meta.namespace, meta.name ?? "");
    const applied = ((object as { status?: Record<string, unknown> }).status ?? {}) as Record<string, unknown> & { conditions?: Array<{ type: string }> };
    const key = `${meta.namespace}/${meta.name}`;
    const mine = this.#owned.get(key) ?? new Set<string>();
    const before = { ...(current?.status ?? {}) } as Record<string, unknown> & { conditions?: Array<{ type: string }> };
    const appliedTypes = new Set((applied.conditions ?? []).map((c) => c.type));
    // Fields and condition types this manager applied before and omits now are removed; others' stay.
    for (const field of mine) if (!field.startsWith("condition:") && !(field in applied)) delete before[field];
    const conditions = (before.conditions ?? []).filter((c) => !appliedTypes.has(c.type) && !mine.has(`condition:${c.type}`));
    const next = { ...before, ...applied, conditions: [...conditions, ...(applied.conditions ?? [])] };
    this.#owned.set(key, new Set([...Object.keys(applied).filter((k) => k !== "conditions"), ...[...appliedTypes].map((t) => `condition:${t}`)]));
    return this.fake.apply(type, { ...object, status: next } as T, opts);
  }
}

export async function csrFor(names: { commonName?: string; dnsNames?: string[] }): Promise<string> {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return createCsr({ privateKey, subject: names.commonName === undefined ? {} : { commonName: names.commonName }, sans: { dnsNames: names.dnsNames ?? [] } });
}

export interface RequestBuild {
  readonly name?: string;
  readonly namespace?: string;
  readonly csrPem: string;
  readonly issuer?: { kind?: string; name?: string; group?: string };
  readonly duration?: string;
  readonly usages?: string[];
  readonly isCA?: boolean;
  readonly conditions?: Array<{ type: string; status: "True" | "False" | "Unknown"; reason?: string }>;
}

export function certificateRequest(b: RequestBuild): KubeObject {
  return {
    apiVersion: "cert-manager.io/v1",
    kind: "CertificateRequest",
    metadata: {
      name: b.name ?? "web-1",
      namespace: b.namespace ?? "ns",
      uid: `uid-${b.namespace ?? "ns"}-${b.name ?? "web-1"}`,
      creationTimestamp: "2026-12-01T09:00:00Z",
    },
    spec: {
      request: toBase64(b.csrPem),
      issuerRef: { group: "certbridge.dev", kind: "VendorIssuer", name: "issuer", ...b.issuer },
      ...(b.duration === undefined ? {} : { duration: b.duration }),
      ...(b.usages === undefined ? {} : { usages: b.usages }),
      ...(b.isCA === undefined ? {} : { isCA: b.isCA }),
    },
    status: {
      conditions: (b.conditions ?? [{ type: "Approved", status: "True", reason: "cert-manager.io" }]).map((c) => ({
        ...c,
        message: "",
        lastTransitionTime: "2026-12-01T09:00:00Z",
      })),
    },
  } as KubeObject;
}

export function vendorIssuer(vendorBlock: Record<string, unknown>, ready: "True" | "False" = "True"): KubeObject {
  return {
    apiVersion: "certbridge.dev/v1alpha1",
    kind: "VendorIssuer",
    metadata: { name: "issuer", namespace: "ns", uid: "uid-issuer", generation: 1 },
    spec: { connectionRef: { kind: "VendorConnection", name: "conn" }, ...vendorBlock },
    status: {
      conditions: [
        {
          type: "Ready",
          status: ready,
          reason: ready === "True" ? "Verified" : "ConnectionNotReady",
          message: "",
          observedGeneration: 1,
          lastTransitionTime: "2026-12-01T09:00:00Z",
        },
      ],
    },
  } as KubeObject;
}

/** A ClusterVendorIssuer `shared` on a ClusterVendorConnection: one vendor account for every admitted namespace. */
export function clusterVendorIssuer(vendorBlock: Record<string, unknown>): KubeObject {
  const issuer = vendorIssuer(vendorBlock);
  return {
    ...issuer,
    kind: "ClusterVendorIssuer",
    metadata: { name: "shared", uid: "uid-shared", generation: 1 },
    spec: { connectionRef: { kind: "ClusterVendorConnection", name: "shared" }, ...vendorBlock },
  } as KubeObject;
}

export const cloudflareConnection: ResolvedConnection = {
  kind: "VendorConnection",
  namespace: "ns",
  name: "conn",
  vendor: "cloudflare",
  settings: { baseUrl: "https://cf.invalid/client/v4", zoneId: "0".repeat(32), authMode: "APIToken" },
  credentials: {},
  fingerprint: "f",
};
export const sectigoConnection = {
  ...cloudflareConnection,
  vendor: "sectigo",
  settings: { customerUri: "c", authMode: "Password" },
} as unknown as ResolvedConnection;

export interface Harness {
  readonly api: CertManagerFakeApi;
  readonly clock: FakeClock;
  readonly events: string[];
  /** Event notes, as `reason: note`. */
  readonly notes: string[];
  readonly steps: RequestStep[];
  readonly reconciler: CertificateRequestReconciler;
  reconcile(namespace: string, name: string): Promise<{ requeueAfterMs?: number }>;
  cr(namespace: string, name: string): CertificateRequest | undefined;
}

/** The reconciler over a CertManagerFakeApi on the test clock, one issuer (VendorIssuer ns/issuer or ClusterVendorIssuer shared) and one CA. */
export function harness(opts: { issuer: KubeObject; ca: CertificateAuthority; budget?: IssuanceBudget; step?: (step: RequestStep) => void }): Harness {
  const clock = new FakeClock(new Date(T0));
  const api = new CertManagerFakeApi(new FakeKubeApi({ clock }));
  const events: string[] = [];
  const notes: string[] = [];
  const steps: RequestStep[] = [];
  const issuer = opts.issuer;
  const issuerAt = issuer.kind === "ClusterVendorIssuer" ? { kind: "ClusterVendorIssuer", key: "shared" } : { kind: "VendorIssuer", key: "ns/issuer" };
  const vendor = (issuer as KubeObject & { spec: { sectigo?: unknown } }).spec.sectigo ? "sectigo" : "cloudflare";
  const reconciler = new CertificateRequestReconciler({
    api,
    requests: { get: (key) => api.fake.peek(certificateRequests, key.split("/")[0], key.split("/")[1] ?? "") },
    issuers: (kind: IssuerKind, key) => (kind === issuerAt.kind && key === issuerAt.key ? issuer : undefined),
    connections: { resolve: async () => ({ ok: true, connection: vendor === "sectigo" ? sectigoConnection : cloudflareConnection }) },
    ports: { certificateAuthority: () => opts.ca },
    budget: opts.budget ?? new IssuanceBudget(),
    events: {
      record: (_r, e) => {
        events.push(`${e.type} ${e.reason}`);
        notes.push(`${e.reason}: ${e.note}`);
      },
    },
    clock,
    settleWindowMs: { cloudflare: 60_000, sectigo: 60_000 },
    lookupFirstMs: 1_000,
    step: (step) => {
      steps.push(step);
      opts.step?.(step);
    },
  });
  return {
    api,
    clock,
    events,
    notes,
    steps,
    reconciler,
    reconcile: (namespace, name) => reconciler.reconcile({ log, signal: new AbortController().signal }, `${namespace}/${name}`),
    cr: (namespace, name) => api.fake.peek<CertificateRequest>(certificateRequests, namespace, name),
  };
}
