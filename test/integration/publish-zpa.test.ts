// spec.publish.zpa with application segments on the real control plane against the real simulators
// (Sectigo issues, ZPA holds the copies and the browser-access segment): renewed twice, the segment
// serves a certificate that exists at every moment, moving forward only; no certificate in use is ever
// deleted; unpublish keeps a served copy until the segment moves, then leaves nothing behind; a shared
// connection may not take over a segment serving others' names; and the operator dying after any
// ZPA write of a rotation is finished by a fresh instance.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { adminClient, eventually, freshNamespace, testLogger } from "../harness/kube.ts";
import { annotations, resourceTypes } from "../../src/api/v1alpha1/index.ts";
import { setupManagedCertificates } from "../../src/controllers/managedcertificate/index.ts";
import { OperatorMetrics } from "../../src/observability/metrics.ts";
import type { ApplicationSegmentService } from "../../src/ports/application-segments.ts";
import type { ResolvedConnection } from "../../src/ports/connection.ts";
import type { BrowserCertificateStore } from "../../src/ports/provisioning-keys.ts";
import { VendorError } from "../../src/ports/vendor-error.ts";
import type { KubeClient } from "../../src/runtime/kube/client.ts";
import { isNotFound } from "../../src/runtime/kube/errors.ts";
import { core, type KubeObject } from "../../src/runtime/kube/resource.ts";
import { Manager } from "../../src/runtime/manager.ts";
import { startSimulators, type RunningSimulators } from "../../src/sim/index.ts";
import { SEED } from "../../src/sim/sectigo/testing.ts";
import { SEED_IDS } from "../../src/sim/zpa/seed.ts";
import type { ZpaSimulator } from "../../src/sim/zpa/server.ts";
import { mgmt, raw, signIn } from "../../src/sim/zpa/testing.ts";
import { createVendorPorts, type RegistryVendorPorts } from "../../src/vendors/registry.ts";

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}
interface ZpaRecord {
  certificateId?: string;
  name?: string;
  serialNumber?: string;
  segments?: Array<{ id: string; name: string; apps: number }>;
  retired?: Array<{ certificateId: string; name?: string; heldBy?: string[] }>;
}
interface Mc extends KubeObject {
  status?: { conditions?: Condition[]; serialNumber?: string; revision?: number; publish?: { zpa?: ZpaRecord } };
}

let client: KubeClient;
let sims: RunningSimulators;
let zpa: ZpaSimulator;
let registry: RegistryVendorPorts;
const stops: Array<() => Promise<void>> = [];
/** Failed ZPA calls of the operator, with their error kind ("delete …: conflict" = a delete ZPA refused). */
const failures: string[] = [];

beforeAll(async () => {
  client = adminClient();
  sims = await startSimulators({ https: false });
  zpa = sims.sims.zpa as unknown as ZpaSimulator;
  registry = createVendorPorts({ timeoutMs: 10_000, warmUp: false });
});
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  failures.length = 0;
});
afterAll(async () => {
  await registry?.close();
  await sims?.close();
  await client?.close();
});

const b64 = (s: string) => Buffer.from(s).toString("base64");
const store = () => zpa.zpa.store;
const certName = (id: string) => store().certificates.get(id)?.name;

// ---------------------------------------------------------------------------------------------------
// The operator, with its ZPA ports wrapped: failures recorded; `dieAfter`: the k-th ZPA call takes
// effect, then this instance is dead (that call's answer and every later call fail).

function zpaPorts(dieAfter?: number) {
  let n = 0;
  let dead = false;
  const call = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    if (dead) throw new Error("dead");
    const out = await run().catch((e: unknown) => {
      failures.push(`${what}: ${e instanceof VendorError ? e.kind : String(e)}`);
      throw e;
    });
    if (++n === dieAfter) {
      dead = true;
      throw new Error(`died after ${what}`);
    }
    return out;
  };
  const browserCertificates = (c: ResolvedConnection): BrowserCertificateStore => {
    const s = registry.browserCertificates(c);
    return {
      findByName: (name, mt, sig) => call("find", () => s.findByName(name, mt, sig)),
      upload: (input, sig) => call("upload", () => s.upload(input, sig)),
      delete: (id, mt, sig) => call("delete", () => s.delete(id, mt, sig)),
    };
  };
  const applicationSegments = (c: ResolvedConnection): ApplicationSegmentService => {
    const g = registry.applicationSegments(c);
    return {
      listBrowserAccess: (mt, sig) => call("list", () => g.listBrowserAccess(mt, sig)),
      select: (sel, mt, sig) => call("select", () => g.select(sel, mt, sig)),
      repoint: (r, sig) => call("repoint", () => g.repoint(r, sig)),
      confirm: (r, sig) => call("confirm", () => g.confirm(r, sig)),
      segmentsUsing: (id, mt, sig) => call("using", () => g.segmentsUsing(id, mt, sig)),
    };
  };
  return {
    ports: { certificateAuthority: (c: ResolvedConnection) => registry.certificateAuthority(c), browserCertificates, applicationSegments },
    dead: () => dead,
  };
}

async function startOperator(namespace: string, dieAfter?: number): Promise<{ stop: () => Promise<void>; dead: () => boolean }> {
  const manager = new Manager({ client: adminClient(), log: testLogger(), metrics: new OperatorMetrics({ defaultMetrics: false }) });
  const z = zpaPorts(dieAfter);
  setupManagedCertificates(manager, { namespace, ports: z.ports, settleWindowMs: { sectigo: 3_000, cloudflare: 3_000 }, lookupFirstMs: 500 });
  await manager.start();
  let stopped = false;
  const stop = async () => {
    if (!stopped) {
      stopped = true;
      await manager.stop();
    }
  };
  stops.push(stop);
  return { stop, dead: z.dead };
}

// ---------------------------------------------------------------------------------------------------
// Builders

async function connections(ns: string, zpaKind: "VendorConnection" | "ClusterVendorConnection"): Promise<void> {
  const sc = sims.credentials.sectigo as { login: string; password: string; customerUri: string };
  const z = sims.credentials.zpa as { clientId: string; clientSecret: string; customerId: string };
  await client.create(core.secrets, {
    metadata: { name: "scm-creds", namespace: ns },
    data: { login: b64(sc.login), password: b64(sc.password) },
  } as KubeObject);
  await client.create(core.secrets, {
    metadata: { name: "zpa-creds", namespace: ns },
    data: { clientId: b64(z.clientId), clientSecret: b64(z.clientSecret) },
  } as KubeObject);
  await client.create(resourceTypes.vendorConnections, {
    metadata: { name: "scm", namespace: ns },
    spec: { credentialsRef: { name: "scm-creds" }, sectigo: { baseUrl: sims.urls.sectigo, customerUri: sc.customerUri, orgId: SEED.orgId } },
  } as KubeObject);
  const zpaSpec = { zpa: { authMode: "Legacy", baseUrl: sims.urls.zpa, customerId: z.customerId } };
  if (zpaKind === "VendorConnection")
    await client.create(resourceTypes.vendorConnections, {
      metadata: { name: "zpa", namespace: ns },
      spec: { credentialsRef: { name: "zpa-creds" }, ...zpaSpec },
    } as KubeObject);
  else {
    await client.create(resourceTypes.clusterVendorConnections, {
      metadata: { name: `zpa-${ns}` },
      spec: { credentialsRef: { name: "zpa-creds", namespace: ns }, namespaceSelector: {}, ...zpaSpec },
    } as KubeObject);
    stops.push(() => client.delete(resourceTypes.clusterVendorConnections, undefined, `zpa-${ns}`).catch(() => undefined));
  }
}

/** A browser-access segment serving `domains`, on the seeded certificate (an admin's), made through ZPA's API. */
async function segment(ns: string, domains: string[]): Promise<string> {
  const token = await signIn(zpa);
  const base = mgmt(zpa.customerId);
  const group = (await raw(zpa, "POST", `${base}/segmentGroup`, { token, json: { name: `${ns} apps`, enabled: true } })).json as { id: string };
  const app = await raw(zpa, "POST", `${base}/application`, {
    token,
    json: {
      name: `${ns} portal`,
      enabled: true,
      domainNames: domains,
      segmentGroupId: group.id,
      serverGroups: [{ id: SEED_IDS.serverGroups.portal }],
      tcpPortRanges: ["443", "443"],
      clientlessApps: domains.map((d) => ({
        name: d,
        domain: d,
        applicationProtocol: "HTTPS",
        applicationPort: "443",
        certificateId: SEED_IDS.browserCertificate,
      })),
    },
  });
  expect(app.status).toBeLessThan(300);
  return (app.json as { id: string }).id;
}

const appCerts = (segmentId: string) =>
  store()
    .segments.applications.get(segmentId)!
    .clientlessApps.map((a) => a.certificateId);
const ourCopies = (ns: string) => [...store().certificates.values()].filter((c) => c.name.startsWith(`${ns}-web-r`)).map((c) => c.name);
const getMc = (ns: string) => client.get<Mc>(resourceTypes.managedCertificates, ns, "web");
const cond = (mc: Mc | undefined, type: string) => mc?.status?.conditions?.find((c) => c.type === type);

async function createMc(ns: string, dnsNames: string[], zpaRef: { kind: string; name: string }, applicationSegments: unknown[]): Promise<void> {
  await client.create(resourceTypes.managedCertificates, {
    metadata: { name: "web", namespace: ns },
    spec: {
      connectionRef: { kind: "VendorConnection", name: "scm" },
      secretName: "web-tls",
      dnsNames,
      privateKey: { algorithm: "ECDSA", size: 256 },
      sectigo: { type: "SSL", profile: { name: "OV SSL" }, customFields: SEED.sslCustomFields },
      publish: { zpa: { connectionRef: zpaRef, applicationSegments } },
    },
  } as KubeObject);
}

/** The resource published revision `revision`, with the segment confirmed serving it and no earlier copy left. */
async function publishedAt(ns: string, revision: number, timeoutMs = 30_000): Promise<Mc> {
  return eventually(
    `${ns}/web published at r${revision}`,
    async () => {
      const m = await getMc(ns);
      const z = m.status?.publish?.zpa;
      return m.status?.revision === revision && z?.name === `${ns}-web-r${revision}` && cond(m, "Published")?.reason === "Published" && z.retired === undefined
        ? m
        : undefined;
    },
    timeoutMs,
    100,
  );
}

/**
 * Samples the segment every millisecond (the simulator runs in this process, so every ZPA write
 * lands between two samples): each app's certificate must exist in ZPA, and the revisions the app
 * serves may only move forward. Returns the distinct states seen, by certificate name.
 */
function sampleSegment(segmentId: string) {
  const violations: string[] = [];
  const seen: string[] = [];
  let last = -1;
  const timer = setInterval(() => {
    const ids = appCerts(segmentId);
    for (const id of ids) if (!store().certificates.has(id)) violations.push(`app serves ${id}, which ZPA no longer has`);
    const names = ids.map((id) => certName(id) ?? id).join(",");
    if (seen.at(-1) !== names) seen.push(names);
    const revision = Math.min(...ids.map((id) => Number(/-r(\d+)$/.exec(certName(id) ?? "")?.[1] ?? 0)));
    if (revision < last) violations.push(`went back from r${last} to r${revision}`);
    last = revision;
  }, 1);
  // rebase: a person moved the segment on purpose; forward-only starts again from there.
  return { violations, seen, stop: () => clearInterval(timer), rebase: () => void (last = -1) };
}

async function renew(ns: string, value: string): Promise<void> {
  await client.mergePatch(resourceTypes.managedCertificates, ns, "web", { metadata: { annotations: { [annotations.renewRequest]: value } } });
}

async function gone(ns: string): Promise<void> {
  await eventually(`${ns}/web gone`, async () => {
    try {
      await getMc(ns);
      return false;
    } catch (e) {
      return isNotFound(e);
    }
  });
}

// ---------------------------------------------------------------------------------------------------

describe("spec.publish.zpa with application segments", () => {
  it("renewed twice: the segment serves a certificate that exists at every moment, moving forward only; no copy in use is deleted; unpublish waits for the segment, then leaves nothing behind", async () => {
    const ns = await freshNamespace(client, "pub");
    await connections(ns, "VendorConnection");
    const domains = [`portal.${ns}.example.com`, `apps.${ns}.example.com`];
    const seg = await segment(ns, domains);
    const sampler = sampleSegment(seg);
    try {
      await startOperator(ns);
      await createMc(ns, domains, { kind: "VendorConnection", name: "zpa" }, [{ name: `${ns} portal` }]);
      for (const [revision, renewal] of [
        [1, undefined],
        [2, "1"],
        [3, "2"],
      ] as const) {
        if (renewal !== undefined) await renew(ns, renewal);
        const mc = await publishedAt(ns, revision);
        const z = mc.status!.publish!.zpa!;
        expect(z.segments).toEqual([{ id: seg, name: `${ns} portal`, apps: 2 }]);
        expect(cond(mc, "Published")).toMatchObject({ status: "True", message: expect.stringContaining(`served by segment "${ns} portal"`) });
        // The segment serves the current certificate: ZPA's copy has the status' serial.
        expect(new Set(appCerts(seg))).toEqual(new Set([z.certificateId]));
        expect(store().certificates.get(z.certificateId!)!.serialNo).toBe(BigInt(`0x${mc.status!.serialNumber}`).toString(10));
        expect(ourCopies(ns)).toEqual([`${ns}-web-r${revision}`]);
      }

      // spec.publish.zpa removed: the copy the segment serves is kept, and said so.
      await client.mergePatch(resourceTypes.managedCertificates, ns, "web", { spec: { publish: null } });
      const blocked = await eventually("UnpublishBlocked", async () => {
        const m = await getMc(ns);
        return cond(m, "Published")?.reason === "UnpublishBlocked" ? m : undefined;
      });
      expect(cond(blocked, "Published")).toMatchObject({ status: "False", message: expect.stringContaining(`"${ns}-web-r3"`) });
      expect(blocked.status?.publish?.zpa?.retired).toEqual([{ certificateId: expect.any(String), name: `${ns}-web-r3`, heldBy: [`${ns} portal`] }]);
      expect(ourCopies(ns)).toEqual([`${ns}-web-r3`]);

      // An admin points the segment elsewhere; the next look deletes the copy and forgets ZPA.
      sampler.rebase();
      for (const app of store().segments.applications.get(seg)!.clientlessApps) app.certificateId = SEED_IDS.browserCertificate;
      await client.mergePatch(resourceTypes.managedCertificates, ns, "web", { metadata: { annotations: { "test.certbridge.dev/poke": "1" } } });
      const clean = await eventually("unpublished", async () => {
        const m = await getMc(ns);
        return m.status?.publish === undefined && cond(m, "Published") === undefined ? m : undefined;
      });
      expect(cond(clean, "Ready")?.status).toBe("True");
      expect(ourCopies(ns)).toEqual([]);
      await client.delete(resourceTypes.managedCertificates, ns, "web");
      await gone(ns);
    } finally {
      sampler.stop();
    }
    expect(sampler.violations).toEqual([]);
    expect(sampler.seen).toEqual([
      "portal.sim.example,portal.sim.example",
      ...[1, 2, 3].map((r) => `${ns}-web-r${r},${ns}-web-r${r}`),
      "portal.sim.example,portal.sim.example",
    ]);
    expect(failures).toEqual([]);
  });

  it("through a shared ClusterVendorConnection a segment that also serves names outside the certificate is left alone (SegmentNotPermitted); deleting the resource leaves nothing behind", async () => {
    const ns = await freshNamespace(client, "pub");
    await connections(ns, "ClusterVendorConnection");
    const seg = await segment(ns, [`portal.${ns}.example.com`, `payroll.${ns}.example.com`]);
    await startOperator(ns);
    await createMc(ns, [`portal.${ns}.example.com`], { kind: "ClusterVendorConnection", name: `zpa-${ns}` }, [{ domain: `*.${ns}.example.com` }]);
    const refused = await eventually("SegmentNotPermitted", async () => {
      const m = await getMc(ns);
      return cond(m, "Published")?.reason === "SegmentNotPermitted" ? m : undefined;
    });
    expect(cond(refused, "Published")).toMatchObject({
      status: "False",
      message: expect.stringMatching(new RegExp(`segment "${ns} portal" is left alone: it also serves payroll\\.${ns}\\.example\\.com`)),
    });
    expect(appCerts(seg)).toEqual([SEED_IDS.browserCertificate, SEED_IDS.browserCertificate]);
    expect(ourCopies(ns)).toEqual([`${ns}-web-r1`]);
    await client.delete(resourceTypes.managedCertificates, ns, "web");
    await gone(ns);
    expect(ourCopies(ns)).toEqual([]);
    expect(appCerts(seg)).toEqual([SEED_IDS.browserCertificate, SEED_IDS.browserCertificate]);
    expect(failures).toEqual([]);
  });

  it("the operator dies right after a ZPA write of a rotation (the re-point, the delete); a fresh instance finishes it with one copy per revision", async () => {
    const ns = await freshNamespace(client, "pub");
    await connections(ns, "VendorConnection");
    const domains = [`portal.${ns}.example.com`];
    const seg = await segment(ns, domains);
    const sampler = sampleSegment(seg);
    try {
      let live = await startOperator(ns);
      await createMc(ns, domains, { kind: "VendorConnection", name: "zpa" }, [{ id: seg }]);
      await publishedAt(ns, 1);
      // A rotation's calls: find, upload, select, repoint, confirm, using (the old copy), delete. Dying after
      // the re-point (segment moved, status not) and after the delete (old copy gone, status not) here;
      // after every one of the seven in publish.test.ts (the simulator alone, in milliseconds).
      for (const [i, dieAfter] of [4, 7].entries()) {
        await live.stop();
        const doomed = await startOperator(ns, dieAfter);
        await renew(ns, `crash-${i}`);
        await eventually(`died after ZPA call ${dieAfter}`, () => doomed.dead());
        await doomed.stop();
        live = await startOperator(ns);
        const mc = await publishedAt(ns, i + 2);
        expect(new Set(appCerts(seg))).toEqual(new Set([mc.status!.publish!.zpa!.certificateId]));
        expect(ourCopies(ns)).toEqual([`${ns}-web-r${i + 2}`]);
      }
    } finally {
      sampler.stop();
    }
    expect(sampler.violations).toEqual([]);
    expect(sampler.seen).toEqual(["portal.sim.example", ...[1, 2, 3].map((r) => `${ns}-web-r${r}`)]);
    // Nothing failed (the re-run after the delete finds the copy gone, which the port answers as done): no delete was refused.
    expect(failures).toEqual([]);
  });
});
