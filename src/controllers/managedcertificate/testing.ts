// Builders for the pieces' unit tests: a ManagedCertificate stored in a FakeKubeApi, the context and
// the resource port a reconcile would hand the pieces, and the Events and vendor calls they made.
import pino from "pino";
import { resourceTypes } from "../../api/v1alpha1/group.ts";
import { finalizers } from "../../api/v1alpha1/labels.ts";
import { parseManagedCertificate } from "../../api/v1alpha1/parse.ts";
import type { CertificateAuthority } from "../../ports/certificate-authority.ts";
import type { EventRecorder } from "../../runtime/events.ts";
import { FakeKubeApi } from "../../runtime/kube/fake.ts";
import { StatusApplier } from "../../runtime/status.ts";
import type { OrderEvent } from "../ordering/sweeps.ts";
import type { CertificateContext, CertificateObject, ResourcePort, Status } from "./context.ts";
import { CertificateStatus } from "./status.ts";
import { certificateSpecHash } from "./trigger.ts";

export const T0 = Date.parse("2026-03-01T10:00:00Z");
export const at = (s: number): Date => new Date(T0 + s * 1000);

export interface Fixture {
  readonly api: FakeKubeApi;
  readonly ctx: CertificateContext;
  readonly port: ResourcePort;
  readonly events: OrderEvent[];
  /** "vendor operation" per counted vendor call. */
  readonly counted: string[];
}

/** The spec of the tests' resource ns/web: a Cloudflare certificate for web.example.com into web-tls. */
export const WEB_SPEC = {
  connectionRef: { kind: "VendorConnection", name: "cf" },
  secretName: "web-tls",
  commonName: "web.example.com",
  privateKey: { algorithm: "ECDSA", size: 256 },
  cloudflare: { validityDays: 30 },
} as const;

/** A Cloudflare ManagedCertificate `ns/web` (spec overrides merged in), stored with `status`, seen at `now`. */
export function certificateFixture(opts: { spec?: Record<string, unknown>; status?: Status; deleting?: boolean; now?: Date } = {}): Fixture {
  const api = new FakeKubeApi();
  const [stored] = api.seed<CertificateObject>(resourceTypes.managedCertificates, {
    apiVersion: "certbridge.dev/v1alpha1",
    kind: "ManagedCertificate",
    metadata: {
      name: "web",
      namespace: "ns",
      uid: "0000-web",
      finalizers: [finalizers.cleanup],
      ...(opts.deleting ? { deletionTimestamp: iso(opts.now ?? at(0)) } : {}),
    },
    spec: { ...WEB_SPEC, ...opts.spec },
    ...(opts.status ? { status: opts.status } : {}),
  });
  const parsed = parseManagedCertificate(stored);
  if (!parsed.ok) throw new Error(`fixture spec invalid: ${JSON.stringify(parsed.problems)}`);
  const events: OrderEvent[] = [];
  const counted: string[] = [];
  const recorder: EventRecorder = { record: (_regarding, event) => events.push(event) };
  const port = new CertificateStatus({
    api,
    applier: new StatusApplier<CertificateObject, Status>({ api, type: resourceTypes.managedCertificates }),
    events: recorder,
  }).port(stored!, new AbortController().signal);
  const ctx: CertificateContext = {
    key: "ns/web",
    mc: parsed.value,
    owner: { kind: "ManagedCertificate", namespace: "ns", name: "web", uid: "0000-web" },
    vendor: parsed.value.spec.sectigo ? "sectigo" : "cloudflare",
    now: opts.now ?? at(0),
    specHash: certificateSpecHash(parsed.value.spec),
    signal: new AbortController().signal,
    log: pino({ level: "silent" }),
    countCall: (vendor, operation) => counted.push(`${vendor} ${operation}`),
  };
  return { api, ctx, port, events, counted };
}

/** A CertificateAuthority of function fields that fails every call not given (a test says which it expects). */
export function vendorOf(over: Partial<CertificateAuthority>): CertificateAuthority {
  const unexpected = (what: string) => async () => {
    throw new Error(`unexpected ${what}`);
  };
  return {
    submit: unexpected("submit"),
    collect: unexpected("collect"),
    findOrders: unexpected("findOrders"),
    revoke: unexpected("revoke"),
    cancel: unexpected("cancel"),
    ...over,
  };
}

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");
