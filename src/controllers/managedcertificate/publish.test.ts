// ZPA publishing against the ZPA simulator through the real adapters: upload, re-point the named
// browser-access segment, confirm, and only then delete the earlier copy; nothing called when in
// line; a crash after ANY ZPA call of a rotation converges on the next pass (one copy per revision,
// the segment on the new one, no delete ever refused); tenancy through a shared connection; and
// what cannot be done now is said in Published.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ApplicationSegmentService } from "../../ports/application-segments.ts";
import type { ResolvedConnectionOf } from "../../ports/connection.ts";
import type { BrowserCertificateStore } from "../../ports/provisioning-keys.ts";
import { VendorError } from "../../ports/vendor-error.ts";
import { createTestCa, type TestCa } from "../../pki/test-ca.ts";
import { core } from "../../runtime/kube/resource.ts";
import { SEED_IDS } from "../../sim/zpa/seed.ts";
import { startZpaSimulator, type ZpaSimulator } from "../../sim/zpa/server.ts";
import { ZpaApplicationSegments } from "../../vendors/zpa/application-segments.ts";
import { ZpaBrowserCertificateStore } from "../../vendors/zpa/browser-certificates.ts";
import { legacyClient } from "../../vendors/zpa/testing.ts";
import { buildOwnedSecret, type Secret } from "../shared/owned-secret.ts";
import type { Status } from "./context.ts";
import { type PublishPorts, publishZpa } from "./publish.ts";
import { serialOf } from "./secret.ts";
import { certificateFixture, type Fixture } from "./testing.ts";

let sim: ZpaSimulator;
let ca: TestCa;
beforeAll(async () => {
  sim = await startZpaSimulator({ rateLimits: false });
  ca = await createTestCa({ name: "publish" });
});
afterAll(() => sim.close());
/** ZPA calls that failed, with the error kind, across every pass of a test ("delete … conflict" = a delete ZPA refused). */
let failures: string[] = [];
beforeEach(async () => {
  failures = [];
  await sim.reset();
});

const P = SEED_IDS.applications.portal;
const SEED_CERT = SEED_IDS.browserCertificate;
const fast = { rateLimitRules: { read: { limit: 1e5, windowMs: 1000 }, write: { limit: 1e5, windowMs: 1000 }, default: { limit: 1e5, windowMs: 1000 } } };
const connection = (kind: "VendorConnection" | "ClusterVendorConnection"): ResolvedConnectionOf<"zpa"> => ({
  kind,
  name: "zpa",
  vendor: "zpa",
  settings: { authMode: "Legacy", customerId: sim.customerId },
  credentials: {},
  fingerprint: "f",
});
const spec = (extra: Record<string, unknown> = { applicationSegments: [{ name: "Sim Portal" }] }) => ({
  publish: { zpa: { connectionRef: { kind: "VendorConnection", name: "zpa" }, ...extra } },
});

/** The real adapters, each call recorded; `crashAfter`: the k-th call takes effect, then the "process dies" (its answer is lost). */
function zpaPorts(opts: { crashAfter?: number; kind?: "VendorConnection" | "ClusterVendorConnection"; segments?: boolean } = {}) {
  const client = legacyClient(sim, fast);
  const store = new ZpaBrowserCertificateStore(client);
  const segments = new ZpaApplicationSegments(client);
  const calls: string[] = [];
  const call = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    const out = await run().catch((e: unknown) => {
      failures.push(`${what}: ${e instanceof VendorError ? e.kind : String(e)}`);
      throw e;
    });
    calls.push(what);
    if (calls.length === opts.crashAfter) throw new Error(`crash after ${what}`);
    return out;
  };
  const s: BrowserCertificateStore = {
    findByName: (name, mt, sig) => call(`find ${name}`, () => store.findByName(name, mt, sig)),
    upload: (input, sig) => call(`upload ${input.name}`, () => store.upload(input, sig)),
    delete: (id, mt, sig) => call(`delete ${nameOf(id)}`, () => store.delete(id, mt, sig)),
  };
  const g: ApplicationSegmentService = {
    listBrowserAccess: (mt, sig) => call("list", () => segments.listBrowserAccess(mt, sig)),
    select: (sel, mt, sig) => call("select", () => segments.select(sel, mt, sig)),
    repoint: (r, sig) => call(`repoint ${r.segmentId}`, () => segments.repoint(r, sig)),
    confirm: (r, sig) => call(`confirm ${r.segmentId}`, () => segments.confirm(r, sig)),
    segmentsUsing: (id, mt, sig) => call(`using ${nameOf(id)}`, () => segments.segmentsUsing(id, mt, sig)),
  };
  const ports = (f: Fixture): PublishPorts => ({
    connections: { resolve: async () => ({ ok: true, connection: connection(opts.kind ?? "VendorConnection") }) },
    browserCertificates: () => s,
    ...(opts.segments === false ? {} : { applicationSegments: () => g }),
    io: { client: f.api, secrets: { get: () => undefined } },
  });
  return { ports, calls };
}

const nameOf = (id: string) => sim.zpa.store.certificates.get(id)?.name ?? id;
const ourCopies = () => [...sim.zpa.store.certificates.values()].filter((c) => c.name.startsWith("ns-web-r")).map((c) => c.name);
const portalApps = () => sim.zpa.store.segments.applications.get(P)!.clientlessApps.map((a) => [a.domain, nameOf(a.certificateId)]);
const refusedDeletes = () => failures.filter((f) => f.startsWith("delete") && !f.endsWith("notFound"));
const published = (s: Status) => s.conditions?.find((c) => c.type === "Published");

/** A pass of the reconciler's publish step over a fresh fixture (as after a restart): the Secret holds revision `revision`. */
async function issued(revision: number, dnsNames = ["portal.sim.example", "apps.sim.example"]) {
  const leaf = await ca.issue({ commonName: dnsNames[0]! }, { dnsNames }, { usage: "server" });
  return { revision, leaf, serialNumber: serialOf(leaf.leafPem) };
}
async function pass(
  cert: Awaited<ReturnType<typeof issued>>,
  before: Status | undefined,
  p: ReturnType<typeof zpaPorts>,
  specExtra?: Record<string, unknown>,
): Promise<{ status: Status; retryMs?: number }> {
  const status: Status = { ...before, revision: cert.revision, serialNumber: cert.serialNumber, vendorRef: `cf-${cert.revision}` };
  const f = certificateFixture({ spec: spec(specExtra), status });
  f.api.seed<Secret>(
    core.secrets,
    buildOwnedSecret(
      { kind: "ManagedCertificate", namespace: "ns", name: "web", uid: "0000-web" },
      {
        name: "web-tls",
        type: "kubernetes.io/tls",
        data: {
          "tls.crt": Buffer.from(cert.leaf.leafPem + cert.leaf.chainPem).toString("base64"),
          "tls.key": Buffer.from(cert.leaf.keyPem).toString("base64"),
        },
        ownerReference: false,
      },
    ),
  );
  return publishZpa(f.ctx, p.ports(f), status, 1);
}

describe("publishZpa: rotation with application segments", () => {
  it("first publication: uploaded, the named segment's apps re-pointed from the seeded certificate and confirmed; status and Published name the segment", async () => {
    const p = zpaPorts();
    const out = await pass(await issued(1), undefined, p);
    expect(p.calls).toEqual(["find ns-web-r1", "upload ns-web-r1", "select", `repoint ${P}`, `confirm ${P}`]);
    expect(portalApps()).toEqual([
      ["portal.sim.example", "ns-web-r1"],
      ["apps.sim.example", "ns-web-r1"],
    ]);
    // The seeded certificate was never ours: it stays.
    expect(sim.zpa.store.certificates.has(SEED_CERT)).toBe(true);
    expect(out.status.publish?.zpa).toMatchObject({ name: "ns-web-r1", revision: 1, segments: [{ id: P, name: "Sim Portal", apps: 2 }] });
    expect(out.status.publish?.zpa?.retired).toBeUndefined();
    expect(published(out.status)).toMatchObject({ status: "True", reason: "Published", message: expect.stringContaining('served by segment "Sim Portal"') });
    expect(out.retryMs).toBeUndefined();
  });

  it("a new revision: upload, re-point, confirm, and only then the old copy is checked unused and deleted; in line afterwards: no call", async () => {
    const first = await pass(await issued(1), undefined, zpaPorts());
    const p = zpaPorts();
    const r2 = await issued(2);
    const second = await pass(r2, first.status, p);
    expect(p.calls).toEqual(["find ns-web-r2", "upload ns-web-r2", "select", `repoint ${P}`, `confirm ${P}`, "using ns-web-r1", "delete ns-web-r1"]);
    expect(ourCopies()).toEqual(["ns-web-r2"]);
    expect(portalApps().map(([, c]) => c)).toEqual(["ns-web-r2", "ns-web-r2"]);
    expect(refusedDeletes()).toEqual([]);
    const idle = zpaPorts();
    const again = await pass(r2, second.status, idle);
    expect(idle.calls).toEqual([]);
    expect(published(again.status)).toMatchObject({ status: "True", reason: "Published" });
  });

  const ROTATION_CALLS = 7;
  it.each(Array.from({ length: ROTATION_CALLS }, (_, i) => ({ k: i + 1 })))(
    "the process dies after ZPA call $k of a rotation (it took effect, the status write was lost): the next pass converges, no copy in use is deleted",
    async ({ k }) => {
      const first = await pass(await issued(1), undefined, zpaPorts());
      const r2 = await issued(2);
      const doomed = zpaPorts({ crashAfter: k });
      await expect(pass(r2, first.status, doomed)).rejects.toThrow(/crash after/);
      expect(doomed.calls).toHaveLength(k);
      // Whatever state the crash left: the segment serves a copy that exists (ZPA refuses anything else).
      expect(portalApps().every(([, c]) => c === "ns-web-r1" || c === "ns-web-r2")).toBe(true);
      const p = zpaPorts();
      const out = await pass(r2, first.status, p);
      expect(p.calls.filter((c) => c.startsWith("upload"))).toEqual(k >= 2 ? [] : ["upload ns-web-r2"]);
      expect(ourCopies()).toEqual(["ns-web-r2"]);
      expect(portalApps().map(([, c]) => c)).toEqual(["ns-web-r2", "ns-web-r2"]);
      expect(out.status.publish?.zpa).toMatchObject({ name: "ns-web-r2", segments: [{ id: P, apps: 2 }] });
      expect(out.status.publish?.zpa?.retired).toBeUndefined();
      expect(refusedDeletes()).toEqual([]);
    },
  );

  it("an upload a crash never recorded, then a renewal before the next pass: the skipped revision's copy is found by name and retired", async () => {
    const first = await pass(await issued(1), undefined, zpaPorts());
    await expect(pass(await issued(2), first.status, zpaPorts({ crashAfter: 2 }))).rejects.toThrow(/crash after upload ns-web-r2/);
    const p = zpaPorts();
    await pass(await issued(3), first.status, p);
    expect(p.calls).toContain("find ns-web-r2");
    expect(ourCopies()).toEqual(["ns-web-r3"]);
  });

  it("an earlier copy a segment outside the selection still serves is kept and named (UnpublishBlocked), and deleted once a pass moves the segment", async () => {
    const first = await pass(await issued(1), undefined, zpaPorts());
    const r2 = await issued(2);
    const held = await pass(r2, first.status, zpaPorts(), {});
    expect(ourCopies().sort()).toEqual(["ns-web-r1", "ns-web-r2"]);
    expect(held.status.publish?.zpa?.retired).toEqual([{ certificateId: expect.any(String), name: "ns-web-r1", heldBy: ["Sim Portal"] }]);
    expect(published(held.status)).toMatchObject({
      status: "True",
      reason: "UnpublishBlocked",
      message: expect.stringMatching(/"ns-web-r1".*segment "Sim Portal"/),
    });
    expect(held.retryMs).toBe(60_000);
    const freed = await pass(r2, held.status, zpaPorts());
    expect(ourCopies()).toEqual(["ns-web-r2"]);
    expect(freed.status.publish?.zpa?.retired).toBeUndefined();
    expect(refusedDeletes()).toEqual([]);
  });
});

describe("publishZpa: another connection", () => {
  it("spec.publish.zpa names another connection: the copies behind the recorded one go first, then the certificate is published through the new one", async () => {
    const cert = await issued(1);
    const first = await pass(cert, undefined, zpaPorts(), {});
    const before = first.status.publish!.zpa!;
    const moved = { ...first.status, publish: { zpa: { ...before, connectionRef: { kind: "VendorConnection" as const, name: "zpa-old" } } } };
    const p = zpaPorts();
    const out = await pass(cert, moved, p, {});
    expect(p.calls).toEqual(["using ns-web-r1", "delete ns-web-r1", "find ns-web-r1", "upload ns-web-r1"]);
    expect(ourCopies()).toEqual(["ns-web-r1"]);
    expect(out.status.publish?.zpa).toMatchObject({ name: "ns-web-r1", connectionRef: { kind: "VendorConnection", name: "zpa" } });
    expect(out.status.publish?.zpa?.certificateId).not.toBe(before.certificateId);
  });
});

describe("publishZpa: which segments a namespace may re-point", () => {
  it.each([
    {
      why: "a namespaced connection: only the app the certificate covers moves; the other keeps its certificate",
      kind: "VendorConnection" as const,
      apps: [
        ["portal.sim.example", "ns-web-r1"],
        ["apps.sim.example", "portal.sim.example"],
      ],
      reason: "Published",
    },
    {
      why: "a shared ClusterVendorConnection: a segment that also serves names outside the certificate is left alone",
      kind: "ClusterVendorConnection" as const,
      apps: [
        ["portal.sim.example", "portal.sim.example"],
        ["apps.sim.example", "portal.sim.example"],
      ],
      reason: "SegmentNotPermitted",
    },
  ])("$why", async ({ kind, apps, reason }) => {
    const out = await pass(await issued(1, ["portal.sim.example"]), undefined, zpaPorts({ kind }), { applicationSegments: [{ domain: "*.sim.example" }] });
    expect(portalApps()).toEqual(apps);
    expect(ourCopies()).toEqual(["ns-web-r1"]);
    expect(published(out.status)).toMatchObject({ reason });
    if (reason === "SegmentNotPermitted") {
      expect(published(out.status)?.message).toMatch(/"Sim Portal" is left alone: it also serves apps\.sim\.example/);
      expect(out.status.publish?.zpa?.segmentSelectorsHash).toBeUndefined();
      expect(out.retryMs).toBe(600_000);
    }
  });

  it("a selector matching no browser-access segment: SegmentNotFound, the others still re-pointed", async () => {
    const out = await pass(await issued(1), undefined, zpaPorts(), { applicationSegments: [{ name: "Sim Portal" }, { id: "42" }] });
    expect(published(out.status)).toMatchObject({ status: "False", reason: "SegmentNotFound", message: expect.stringContaining("matches id 42") });
    expect(portalApps().map(([, c]) => c)).toEqual(["ns-web-r1", "ns-web-r1"]);
  });
});

describe("publishZpa: what cannot be done now", () => {
  it.each([
    { why: "the ZPA connection is missing", lookup: false, segments: true, secret: true, reason: "ConnectionNotFound" },
    { why: "segments are named but this build cannot re-point them", lookup: true, segments: false, secret: true, reason: "PublishFailed" },
    { why: "the Secret does not hold the current certificate yet", lookup: true, segments: true, secret: false, reason: "PublishFailed" },
  ])("$why: Published False, looked at again later, nothing uploaded", async ({ lookup, segments, secret, reason }) => {
    const cert = await issued(1);
    const status: Status = { revision: 1, serialNumber: cert.serialNumber };
    const f = certificateFixture({ spec: spec(), status });
    if (secret)
      f.api.seed<Secret>(
        core.secrets,
        buildOwnedSecret(
          { kind: "ManagedCertificate", namespace: "ns", name: "web", uid: "0000-web" },
          {
            name: "web-tls",
            type: "kubernetes.io/tls",
            data: { "tls.crt": Buffer.from(cert.leaf.leafPem).toString("base64"), "tls.key": Buffer.from(cert.leaf.keyPem).toString("base64") },
            ownerReference: false,
          },
        ),
      );
    const p = zpaPorts({ segments });
    const ports = p.ports(f);
    const out = await publishZpa(
      f.ctx,
      lookup
        ? ports
        : { ...ports, connections: { resolve: async () => ({ ok: false, reason: "ConnectionNotFound", message: "VendorConnection zpa not found" }) } },
      status,
      1,
    );
    expect(published(out.status)).toMatchObject({ status: "False", reason });
    expect(out.retryMs).toBeGreaterThan(0);
    expect(p.calls).toEqual([]);
  });

  it("ZPA refusing for good is shown (PublishFailed, ZPA's words); a retryable error is returned to the queue", async () => {
    const cert = await issued(1);
    const refusing = (kind: "invalid" | "transient") => {
      const p = zpaPorts();
      return (f: Fixture): PublishPorts => ({
        ...p.ports(f),
        browserCertificates: () => ({
          findByName: async () => undefined,
          delete: async () => {},
          upload: async () => {
            throw new VendorError({ kind, vendor: "zpa", operation: "uploadCertificate", message: "certificate chain is invalid", httpStatus: 400 });
          },
        }),
      });
    };
    const status: Status = { revision: 1, serialNumber: cert.serialNumber };
    const f = certificateFixture({ spec: spec(), status });
    f.api.seed<Secret>(
      core.secrets,
      buildOwnedSecret(
        { kind: "ManagedCertificate", namespace: "ns", name: "web", uid: "0000-web" },
        {
          name: "web-tls",
          type: "kubernetes.io/tls",
          data: { "tls.crt": Buffer.from(cert.leaf.leafPem).toString("base64"), "tls.key": Buffer.from(cert.leaf.keyPem).toString("base64") },
          ownerReference: false,
        },
      ),
    );
    const out = await publishZpa(f.ctx, refusing("invalid")(f), status, 1);
    expect(published(out.status)).toMatchObject({
      status: "False",
      reason: "PublishFailed",
      message: "ZPA uploadCertificate failed (invalid): certificate chain is invalid",
    });
    await expect(publishZpa(f.ctx, refusing("transient")(f), status, 1)).rejects.toThrow(/certificate chain is invalid/);
  });

  it("without spec.publish.zpa and nothing published: nothing called, nothing changed", async () => {
    const f = certificateFixture({ status: { revision: 1, serialNumber: "0a" } });
    const p = zpaPorts();
    expect(await publishZpa(f.ctx, p.ports(f), { revision: 1, serialNumber: "0a" }, 1)).toEqual({ status: { revision: 1, serialNumber: "0a" } });
    expect(p.calls).toEqual([]);
  });
});
