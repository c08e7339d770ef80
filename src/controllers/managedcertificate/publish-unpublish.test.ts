// Unpublishing against the ZPA simulator through the real adapters: removing spec.publish.zpa
// deletes the copies no segment serves and keeps (and names) one a segment still serves until it
// is freed; deleting the resource waits for that within a bounded grace, then lets go with a
// Warning Event; an upload a crash never recorded is found by name and deleted too.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ResolvedConnectionOf } from "../../ports/connection.ts";
import { createTestCa, type TestCa } from "../../pki/test-ca.ts";
import { SEED_IDS } from "../../sim/zpa/seed.ts";
import { startZpaSimulator, type ZpaSimulator } from "../../sim/zpa/server.ts";
import { ZpaApplicationSegments } from "../../vendors/zpa/application-segments.ts";
import { ZpaBrowserCertificateStore } from "../../vendors/zpa/browser-certificates.ts";
import { legacyClient } from "../../vendors/zpa/testing.ts";
import type { Status } from "./context.ts";
import type { PublishPorts } from "./publish-ports.ts";
import { VendorError } from "../../ports/vendor-error.ts";
import { unpublishOnDelete } from "./publish-unpublish.ts";
import { publishZpa } from "./publish.ts";
import { at, certificateFixture, type Fixture } from "./testing.ts";

let sim: ZpaSimulator;
let ca: TestCa;
beforeAll(async () => {
  sim = await startZpaSimulator({ rateLimits: false });
  ca = await createTestCa({ name: "unpublish" });
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

const P = SEED_IDS.applications.portal;
const ref = { kind: "VendorConnection" as const, name: "zpa" };
const connection: () => ResolvedConnectionOf<"zpa"> = () => ({
  kind: "VendorConnection",
  name: "zpa",
  vendor: "zpa",
  settings: { authMode: "Legacy", customerId: sim.customerId },
  credentials: {},
  fingerprint: "f",
});
const signal = new AbortController().signal;

function ports(f: Fixture, reachable = true): PublishPorts {
  const client = legacyClient(sim);
  return {
    connections: {
      resolve: async () =>
        reachable ? { ok: true, connection: connection() } : { ok: false, reason: "ConnectionNotFound", message: "VendorConnection zpa not found" },
    },
    browserCertificates: () => new ZpaBrowserCertificateStore(client),
    applicationSegments: () => new ZpaApplicationSegments(client),
    io: { client: f.api, secrets: { get: () => undefined } },
  };
}

/** A copy of revision `revision` in ZPA, optionally served by the seeded segment's apps. */
async function copyInZpa(revision: number, servedBySegment: boolean): Promise<string> {
  const leaf = await ca.issue({ commonName: "portal.sim.example" }, { dnsNames: ["portal.sim.example", "apps.sim.example"] }, { usage: "server" });
  const client = legacyClient(sim);
  const { id } = await new ZpaBrowserCertificateStore(client).upload(
    { name: `ns-web-r${revision}`, certificatePem: leaf.leafPem, privateKeyPem: leaf.keyPem },
    signal,
  );
  if (servedBySegment) await new ZpaApplicationSegments(client).repoint({ segmentId: P, toCertificateId: id }, signal);
  return id;
}
const exists = (id: string) => sim.zpa.store.certificates.has(id);
const freeSegment = () => {
  for (const app of sim.zpa.store.segments.applications.get(P)!.clientlessApps) app.certificateId = SEED_IDS.browserCertificate;
};
const published = (s: Status) => s.conditions?.find((c) => c.type === "Published");
const ready = (s: Status | undefined) => s?.conditions?.find((c) => c.type === "Ready");

describe("spec.publish.zpa removed", () => {
  it("a copy a segment serves is kept and named (UnpublishBlocked) until the segment moves; then it is deleted and nothing about ZPA is left in status", async () => {
    const r2 = await copyInZpa(2, true);
    const r1 = await copyInZpa(1, false);
    const status: Status = {
      revision: 2,
      serialNumber: "0b",
      publish: {
        zpa: { certificateId: r2, name: "ns-web-r2", serialNumber: "0b", revision: 2, connectionRef: ref, retired: [{ certificateId: r1, name: "ns-web-r1" }] },
      },
      conditions: [{ type: "Published", status: "True", reason: "Published", message: "…", lastTransitionTime: "2026-03-01T10:00:00Z" }],
    };
    const f = certificateFixture({ status });
    const held = await publishZpa(f.ctx, ports(f), status, 1);
    expect(exists(r1)).toBe(false);
    expect(exists(r2)).toBe(true);
    expect(held.status.publish?.zpa).toEqual({ connectionRef: ref, revision: 2, retired: [{ certificateId: r2, name: "ns-web-r2", heldBy: ["Sim Portal"] }] });
    expect(published(held.status)).toMatchObject({
      status: "False",
      reason: "UnpublishBlocked",
      message: expect.stringMatching(/"ns-web-r2".*segment "Sim Portal"/),
    });
    expect(held.retryMs).toBe(60_000);

    freeSegment();
    const done = await publishZpa(f.ctx, ports(f), held.status, 1);
    expect(exists(r2)).toBe(false);
    expect(done.status.publish).toBeUndefined();
    expect(published(done.status)).toBeUndefined();
  });

  it("the connection is unavailable: said in Published, nothing dropped from status", async () => {
    const r1 = await copyInZpa(1, false);
    const status: Status = { revision: 1, serialNumber: "0a", publish: { zpa: { certificateId: r1, name: "ns-web-r1", connectionRef: ref } } };
    const f = certificateFixture({ status });
    const out = await publishZpa(f.ctx, ports(f, false), status, 1);
    expect(published(out.status)).toMatchObject({
      status: "False",
      reason: "ConnectionNotFound",
      message: expect.stringContaining("Cannot remove the ZPA copies"),
    });
    expect(out.status.publish).toEqual(status.publish);
    expect(exists(r1)).toBe(true);
  });
});

describe("unpublishOnDelete", () => {
  const spec = { publish: { zpa: { connectionRef: ref } } };

  it("a copy no segment serves is deleted; deletion goes on", async () => {
    const r1 = await copyInZpa(1, false);
    const status: Status = { revision: 1, publish: { zpa: { certificateId: r1, name: "ns-web-r1", revision: 1, connectionRef: ref } } };
    const f = certificateFixture({ spec, status, deleting: true });
    expect(await unpublishOnDelete(f.ctx, f.port, ports(f), status)).toBeUndefined();
    expect(exists(r1)).toBe(false);
  });

  it("a garbled answer to the delete is not ZPA refusing it: the deletion is retried, the copy never left untracked", async () => {
    const r1 = await copyInZpa(1, false);
    const status: Status = { revision: 1, publish: { zpa: { certificateId: r1, name: "ns-web-r1", revision: 1, connectionRef: ref } } };
    const f = certificateFixture({ spec, status, deleting: true });
    const garbled = new VendorError({
      kind: "permanent",
      vendor: "zpa",
      operation: "certificates.delete",
      message: "response did not match the expected schema",
      httpStatus: 200,
    });
    const real = ports(f);
    const withGarbledDelete: PublishPorts = {
      ...real,
      browserCertificates: (c) =>
        new Proxy(real.browserCertificates!(c), {
          get: (target, name, receiver) => (name === "delete" ? async () => Promise.reject(garbled) : Reflect.get(target, name, receiver)),
        }),
    };
    await expect(unpublishOnDelete(f.ctx, f.port, withGarbledDelete, status)).rejects.toBe(garbled);
    expect(exists(r1)).toBe(true);
    expect(await unpublishOnDelete(f.ctx, f.port, ports(f), status)).toBeUndefined();
    expect(exists(r1)).toBe(false);
  });

  it("an upload a crash never recorded (status has no copy yet) is found by name and deleted", async () => {
    const r1 = await copyInZpa(1, false);
    const status: Status = { revision: 1, serialNumber: "0a" };
    const f = certificateFixture({ spec, status, deleting: true });
    expect(await unpublishOnDelete(f.ctx, f.port, ports(f), status)).toBeUndefined();
    expect(exists(r1)).toBe(false);
  });

  it("a copy a segment serves holds the deletion (Ready False UnpublishBlocked, a planned look again) within the grace; after it, a Warning Event names what is left", async () => {
    const r1 = await copyInZpa(1, true);
    const status: Status = { revision: 1, publish: { zpa: { certificateId: r1, name: "ns-web-r1", revision: 1, connectionRef: ref } } };
    const f = certificateFixture({ spec, status, deleting: true, now: at(0) });
    const wait = await unpublishOnDelete(f.ctx, f.port, ports(f), status);
    expect(wait).toEqual({ requeueAfterMs: 60_000 });
    expect(exists(r1)).toBe(true);
    expect(ready(f.port.status)).toMatchObject({
      status: "False",
      reason: "UnpublishBlocked",
      message: expect.stringMatching(/"ns-web-r1".*"Sim Portal".*At 2026-03-01T10:15:00Z/),
    });

    const late = certificateFixture({ spec, status, deleting: true, now: at(0) });
    const after = { ...late.ctx, now: at(15 * 60) };
    expect(await unpublishOnDelete(after, late.port, ports(late), status)).toBeUndefined();
    expect(exists(r1)).toBe(true);
    expect(late.events).toEqual([expect.objectContaining({ type: "Warning", reason: "UnpublishIncomplete", note: expect.stringContaining('"ns-web-r1"') })]);
  });

  it("without the ZPA connection an Event says what is left, and deletion goes on", async () => {
    const r1 = await copyInZpa(1, false);
    const status: Status = { revision: 1, publish: { zpa: { certificateId: r1, name: "ns-web-r1", revision: 1, connectionRef: ref } } };
    const f = certificateFixture({ spec, status, deleting: true });
    expect(await unpublishOnDelete(f.ctx, f.port, ports(f, false), status)).toBeUndefined();
    expect(f.events).toEqual([expect.objectContaining({ type: "Warning", reason: "UnpublishSkipped", note: expect.stringContaining(r1) })]);
  });
});
