// ZpaApplicationSegments against the simulator: select browser-access segments by id, name or domain,
// re-point their apps from one certificate to another with a whole-object PUT that changes nothing
// else, confirm, and only then delete the old certificate.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { createTestCa } from "../../pki/test-ca.ts";
import { SEED_IDS } from "../../sim/zpa/seed.ts";
import { startZpaSimulator, type ZpaSimulator } from "../../sim/zpa/server.ts";
import { mgmt, raw, signIn } from "../../sim/zpa/testing.ts";
import { domainMatches, repointed, ZpaApplicationSegments } from "./application-segments.ts";
import { ZpaBrowserCertificateStore } from "./browser-certificates.ts";
import { legacyClient, rejection } from "./testing.ts";

let sim: ZpaSimulator;
beforeAll(async () => {
  sim = await startZpaSimulator({ rateLimits: false });
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

const fast = {
  rateLimitRules: { read: { limit: 100_000, windowMs: 1000 }, write: { limit: 100_000, windowMs: 1000 }, default: { limit: 100_000, windowMs: 1000 } },
};
const signal = new AbortController().signal;
const P = SEED_IDS.applications.portal;
const OLD = SEED_IDS.browserCertificate;

function adapters() {
  const client = legacyClient(sim, fast);
  return { segments: new ZpaApplicationSegments(client), certs: new ZpaBrowserCertificateStore(client), client };
}

async function uploadNew(name = "portal-2026"): Promise<string> {
  const ca = await createTestCa({ name: "segments" });
  const leaf = await ca.issue({ commonName: "portal.sim.example" }, { dnsNames: ["portal.sim.example", "apps.sim.example"] }, { usage: "server" });
  return (await adapters().certs.upload({ name, certificatePem: leaf.leafPem, privateKeyPem: leaf.keyPem }, signal)).id;
}

/** Every field of the segment, as ZPA answers it, minus what a re-point is allowed to change. */
async function segmentJson(): Promise<Record<string, unknown>> {
  const token = await signIn(sim);
  return (await raw(sim, "GET", `${mgmt(sim.customerId)}/application/${P}`, { token })).json as Record<string, unknown>;
}

describe("domainMatches", () => {
  test.each([
    { reason: "exact", pattern: "portal.sim.example", name: "portal.sim.example", match: true },
    { reason: "DNS names ignore case and a trailing dot", pattern: "Portal.Sim.Example.", name: "portal.sim.example", match: true },
    { reason: "a wildcard covers names under it", pattern: "*.sim.example", name: "apps.sim.example", match: true },
    { reason: "…and deeper names", pattern: "*.example", name: "apps.sim.example", match: true },
    { reason: "…but not the bare parent", pattern: "*.sim.example", name: "sim.example", match: false },
    { reason: "a suffix that is not a label boundary", pattern: "*.sim.example", name: "apps.notsim.example", match: false },
    { reason: "no partial match", pattern: "portal.sim", name: "portal.sim.example", match: false },
  ])("$reason", ({ pattern, name, match }) => {
    expect(domainMatches(pattern, name)).toBe(match);
  });
});

describe("select", () => {
  test.each([
    { reason: "by id", selectors: [{ id: P }], ids: [P], unmatched: 0 },
    { reason: "by exact name", selectors: [{ name: "Sim Portal" }], ids: [P], unmatched: 0 },
    { reason: "a name differing in case is not the segment", selectors: [{ name: "sim portal" }], ids: [], unmatched: 1 },
    { reason: "by an app's domain", selectors: [{ domain: "apps.sim.example" }], ids: [P], unmatched: 0 },
    { reason: "by a wildcard domain", selectors: [{ domain: "*.sim.example" }], ids: [P], unmatched: 0 },
    {
      reason: "a segment without browser access is never selected",
      selectors: [{ id: SEED_IDS.applications.internal }, { domain: "tools.internal.sim.example" }],
      ids: [],
      unmatched: 2,
    },
    {
      reason: "several selectors for one segment select it once",
      selectors: [{ id: P }, { name: "Sim Portal" }, { domain: "portal.sim.example" }],
      ids: [P],
      unmatched: 0,
    },
  ])("$reason", async ({ selectors, ids, unmatched }) => {
    const r = await adapters().segments.select(selectors, undefined, signal);
    expect(r.segments.map((s) => s.id)).toEqual(ids);
    expect(r.unmatched).toHaveLength(unmatched);
  });

  test("listBrowserAccess reports the apps and the certificate each serves", async () => {
    const [seg] = await adapters().segments.listBrowserAccess(undefined, signal);
    expect(seg).toMatchObject({ id: P, name: "Sim Portal", enabled: true, domainNames: ["portal.sim.example", "apps.sim.example"] });
    expect(seg!.apps.map((a) => [a.domain, a.applicationPort, a.applicationProtocol, a.certificateId])).toEqual([
      ["portal.sim.example", "443", "HTTPS", OLD],
      ["apps.sim.example", "443", "HTTPS", OLD],
    ]);
  });
});

describe("repoint → confirm → delete the old certificate", () => {
  test("moves every app off the old certificate with one whole-object PUT that changes nothing else", async () => {
    const { segments, certs } = adapters();
    const NEW = await uploadNew();
    const before = await segmentJson();
    const req = { segmentId: P, toCertificateId: NEW, fromCertificateIds: [OLD] };

    // While the segment serves it, ZPA refuses to delete the old certificate.
    expect(await rejection(certs.delete(OLD, undefined, signal))).toMatchObject({ kind: "conflict", vendorCode: "resource.referenced", httpStatus: 400 });
    expect((await segments.segmentsUsing(OLD, undefined, signal)).map((s) => s.id)).toEqual([P]);

    const r = await segments.repoint(req, signal);
    expect(r).toMatchObject({ segmentId: P, segmentName: "Sim Portal", written: true, alreadyCurrent: [] });
    expect(r.moved.map((a) => [a.domain, a.certificateId])).toEqual([
      ["portal.sim.example", OLD],
      ["apps.sim.example", OLD],
    ]);

    // The PUT carried the segment as read: every field, with only certificateId/certificateName changed.
    const sent = sim.zpa.store.segments.lastApplicationPut.get(P) as Record<string, unknown>;
    const { clientlessApps: sentApps, ...sentRest } = sent;
    const { clientlessApps: beforeApps, ...beforeRest } = before;
    expect(sentRest).toEqual(beforeRest);
    expect(sentApps).toEqual((beforeApps as Array<Record<string, unknown>>).map(({ certificateName: _n, ...e }) => ({ ...e, certificateId: NEW })));
    // …and the segment reads back the same but for the certificate and the modification stamps.
    const after = await segmentJson();
    const strip = (o: Record<string, unknown>) => {
      const { modifiedTime: _t, modifiedBy: _b, clientlessApps, ...rest } = o;
      return {
        ...rest,
        clientlessApps: (clientlessApps as Array<Record<string, unknown>>).map(
          ({ certificateId: _c, certificateName: _n, modifiedTime: _m, modifiedBy: _mb, ...e }) => e,
        ),
      };
    };
    expect(strip(after)).toEqual(strip(before));
    expect((after["clientlessApps"] as Array<Record<string, unknown>>).map((e) => [e["certificateId"], e["certificateName"]])).toEqual([
      [NEW, "portal-2026"],
      [NEW, "portal-2026"],
    ]);

    const c = await segments.confirm(req, signal);
    expect(c).toMatchObject({ confirmed: true, stale: [] });
    expect(c.serving).toHaveLength(2);
    expect(await segments.segmentsUsing(OLD, undefined, signal)).toEqual([]);
    await certs.delete(OLD, undefined, signal);
    expect(sim.state()).toMatchObject({ deleted: { certificate: 1 } });
  });

  test("repeating a repoint (a crash after the PUT) writes nothing", async () => {
    const { segments } = adapters();
    const NEW = await uploadNew();
    const req = { segmentId: P, toCertificateId: NEW, fromCertificateIds: [OLD] };
    await segments.repoint(req, signal);
    const updates = sim.state().segments.counters.application.updated;
    // The old certificate is gone from the segment, so nothing matches "from" any more.
    expect(await segments.repoint(req, signal)).toMatchObject({ written: false, moved: [] });
    // Without a from-filter, the apps already on the target are reported as current.
    const again = await segments.repoint({ segmentId: P, toCertificateId: NEW }, signal);
    expect(again).toMatchObject({ written: false, moved: [] });
    expect(again.alreadyCurrent).toHaveLength(2);
    expect(sim.state().segments.counters.application.updated).toBe(updates);
  });

  test("a domain filter moves only the named app; confirm reports the other as untouched, not stale", async () => {
    const { segments } = adapters();
    const NEW = await uploadNew();
    const r = await segments.repoint({ segmentId: P, toCertificateId: NEW, domains: ["apps.sim.example"] }, signal);
    expect(r.moved.map((a) => a.domain)).toEqual(["apps.sim.example"]);
    const apps = (await adapters().segments.listBrowserAccess(undefined, signal))[0]!.apps;
    expect(apps.map((a) => [a.domain, a.certificateId])).toEqual([
      ["portal.sim.example", OLD],
      ["apps.sim.example", NEW],
    ]);
    expect(await segments.confirm({ segmentId: P, toCertificateId: NEW, fromCertificateIds: [OLD], domains: ["apps.sim.example"] }, signal)).toMatchObject({
      confirmed: true,
    });
    // Over the whole segment the old certificate is still served: not confirmed, and not deletable.
    const whole = await segments.confirm({ segmentId: P, toCertificateId: NEW, fromCertificateIds: [OLD] }, signal);
    expect(whole).toMatchObject({ confirmed: false });
    expect(whole.stale.map((a) => a.domain)).toEqual(["portal.sim.example"]);
  });

  test("confirm sees a change made behind our back (an admin pointed an app back at the old certificate)", async () => {
    const { segments } = adapters();
    const NEW = await uploadNew();
    const req = { segmentId: P, toCertificateId: NEW, fromCertificateIds: [OLD] };
    await segments.repoint(req, signal);
    sim.zpa.store.segments.applications.get(P)!.clientlessApps[0]!.certificateId = OLD;
    const c = await segments.confirm(req, signal);
    expect(c.confirmed).toBe(false);
    expect(c.stale.map((a) => a.domain)).toEqual(["portal.sim.example"]);
  });

  test("errors: a missing segment is notFound, a segment without browser access is invalid, a missing target certificate is refused by ZPA", async () => {
    const { segments } = adapters();
    expect(await rejection(segments.repoint({ segmentId: "5", toCertificateId: OLD }, signal))).toMatchObject({ kind: "notFound", vendor: "zpa" });
    expect(await rejection(segments.repoint({ segmentId: SEED_IDS.applications.internal, toCertificateId: OLD }, signal))).toMatchObject({ kind: "invalid" });
    expect(await rejection(segments.repoint({ segmentId: P, toCertificateId: "777" }, signal))).toMatchObject({ vendorCode: "resource.not.found" });
    expect(sim.state().segments.counters.application.updated).toBe(0);
  });

  test("microtenant segments are reached with their microtenantId", async () => {
    const token = await signIn(sim);
    const base = mgmt(sim.customerId);
    const sg = (await raw(sim, "POST", `${base}/segmentGroup?microtenantId=${SEED_IDS.microtenant}`, { token, json: { name: "mt" } })).json as { id: string };
    const app = await raw(sim, "POST", `${base}/application?microtenantId=${SEED_IDS.microtenant}`, {
      token,
      json: {
        name: "mt portal",
        domainNames: ["mt.sim.example"],
        segmentGroupId: sg.id,
        serverGroups: [{ id: SEED_IDS.serverGroups.portal }],
        clientlessApps: [{ name: "mt", domain: "mt.sim.example", applicationProtocol: "HTTPS", applicationPort: "443", certificateId: OLD }],
      },
    });
    const id = (app.json as { id: string }).id;
    const { segments } = adapters();
    const NEW = await uploadNew("mt-2026");
    expect((await segments.select([{ domain: "mt.sim.example" }], SEED_IDS.microtenant, signal)).segments.map((s) => s.id)).toEqual([id]);
    expect((await segments.select([{ domain: "mt.sim.example" }], "0", signal)).segments).toEqual([]);
    expect(await segments.repoint({ segmentId: id, toCertificateId: NEW, microtenantId: SEED_IDS.microtenant }, signal)).toMatchObject({ written: true });
  });
});

test("the client's getAppsByType lists browser-access apps with their segment (applicationType in the query)", async () => {
  const apps = await legacyClient(sim, fast).listAppsByType("BROWSER_ACCESS");
  expect(apps.map((a) => [a.id, a.appId, a.domain, a.certificateId])).toEqual([
    [SEED_IDS.clientlessApps.portal, P, "portal.sim.example", OLD],
    [SEED_IDS.clientlessApps.apps, P, "apps.sim.example", OLD],
  ]);
});

test("repointed: entries not chosen and non-object entries pass through untouched", () => {
  const json = {
    id: "1",
    extra: { nested: [1, 2] },
    clientlessApps: [{ id: "a", certificateId: "old", certificateName: "old" }, { id: "b", certificateId: "old" }, null],
  };
  const out = repointed(json, new Set(["a"]), "1", "new");
  expect(out).toEqual({
    id: "1",
    extra: { nested: [1, 2] },
    clientlessApps: [{ id: "a", certificateId: "new", appId: "1" }, { id: "b", certificateId: "old" }, null],
  });
  expect(json.clientlessApps[0]).toEqual({ id: "a", certificateId: "old", certificateName: "old" }); // input not mutated
});
