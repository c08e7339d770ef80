// The simulator's state machine as a test drives it: delays, collects before issuance, approval mode,
// DCV waits, and the admin routes under /__sim/sectigo/ (over HTTP), plus the counters a test uses
// to assert "exactly one order".
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { request } from "undici";
import { isVendorError } from "../../vendors/shared/errors.ts";
import { startSectigoSimulator, type SectigoSimulator } from "./server.ts";
import { clientFor, makeCsr, SEED } from "./testing.ts";
import type { SectigoClient } from "../../vendors/sectigo/client.ts";

async function admin(sim: SectigoSimulator, method: "GET" | "POST", path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await request(sim.url + path, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.statusCode, json: (await res.body.json()) as Record<string, unknown> };
}

async function kindOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (e) {
    if (isVendorError(e)) return e.kind;
    throw e;
  }
}

describe("issuance timing with an injected clock", () => {
  let t = Date.now();
  let sim: SectigoSimulator;
  let scm: SectigoClient;
  let csr: string;
  beforeAll(async () => {
    sim = await startSectigoSimulator({ now: () => t, issuance: { delayMs: 30_000 } });
    scm = clientFor(sim);
    csr = await makeCsr("timed.example.com");
  });
  afterAll(() => sim.close());

  it("stays pending until the delay has passed, then issues on the next read", async () => {
    const { sslId } = await scm.ssl.enroll({ orgId: SEED.orgId, csr, certType: SEED.sslProfile, term: 365, customFields: SEED.sslCustomFields });
    expect(await kindOf(scm.ssl.collect(sslId))).toBe("pending");
    t += 29_999;
    expect(await kindOf(scm.ssl.collect(sslId))).toBe("pending");
    expect((await scm.ssl.get(sslId)).status).toBe("Applied");
    t += 1;
    expect((await scm.ssl.get(sslId)).status).toBe("Issued");
    expect(await kindOf(scm.ssl.collect(sslId))).toBe("ok");
    expect(sim.state()).toMatchObject({ pendingCollects: { ssl: 2, smime: 0, device: 0 }, collects: { ssl: 3, smime: 0, device: 0 } });
  });
});

describe("pending → issued with a real delay, polled like a controller would", () => {
  let sim: SectigoSimulator;
  let scm: SectigoClient;
  beforeAll(async () => {
    sim = await startSectigoSimulator({ issuance: { delayMs: 150, collectsBeforeIssued: 2 } });
    scm = clientFor(sim);
  });
  afterAll(() => sim.close());

  it("needs both the delay and N collects; polling every 40 ms gets the certificate", async () => {
    const { sslId } = await scm.ssl.enroll({
      orgId: SEED.orgId,
      csr: await makeCsr("poll.example.com"),
      certType: SEED.sslProfile,
      term: 365,
      customFields: SEED.sslCustomFields,
    });
    const started = Date.now();
    let polls = 0;
    for (;;) {
      polls++;
      try {
        const got = await scm.ssl.collect(sslId, "pemco");
        expect(got.leafPem).toContain("BEGIN CERTIFICATE");
        break;
      } catch (e) {
        if (!isVendorError(e) || e.kind !== "pending") throw e;
        await new Promise((r) => setTimeout(r, 40));
      }
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(polls).toBeGreaterThanOrEqual(3);
    expect(sim.state().enrolls.ssl).toBe(1);
  });
});

describe("admin routes under /__sim/sectigo/", () => {
  let sim: SectigoSimulator;
  let scm: SectigoClient;
  let csr: string;
  beforeAll(async () => {
    sim = await startSectigoSimulator();
    scm = clientFor(sim);
    csr = await makeCsr("admin.example.com");
  });
  afterAll(() => sim.close());
  beforeEach(() => sim.reset());

  it("approval mode set over HTTP holds every family in requested until an admin approves", async () => {
    expect((await admin(sim, "POST", "/__sim/sectigo/issuance", { approvalRequired: true })).json).toMatchObject({ approvalRequired: true });
    const ssl = await scm.ssl.enroll({ orgId: SEED.orgId, csr, certType: SEED.sslProfile, term: 365, customFields: SEED.sslCustomFields });
    const smime = await scm.smime.enroll({
      orgId: SEED.orgId,
      csr,
      certType: SEED.smimeProfile,
      term: 365,
      email: "p@example.com",
      firstName: "P",
      lastName: "Q",
    });
    expect(await kindOf(scm.ssl.collect(ssl.sslId))).toBe("pending");
    expect(await kindOf(scm.smime.collect(smime.id!))).toBe("pending");
    for (const id of [ssl.sslId, smime.id!]) {
      const approved = await admin(sim, "POST", `/__sim/sectigo/orders/${id}/approve`);
      expect(approved.status).toBe(200);
    }
    expect(await kindOf(scm.ssl.collect(ssl.sslId))).toBe("ok");
    expect(await kindOf(scm.smime.collect(smime.id!))).toBe("ok");
    expect(sim.state().approvals).toBe(2);
  });

  it("approving an order that is not waiting answers the documented -1112 body", async () => {
    const { sslId } = await scm.ssl.enroll({ orgId: SEED.orgId, csr, certType: SEED.sslProfile, term: 365, customFields: SEED.sslCustomFields });
    const res = await admin(sim, "POST", `/__sim/sectigo/orders/${sslId}/approve`);
    expect([res.status, res.json["code"]]).toEqual([400, -1112]);
  });

  it("reject (the CA refuses) and decline end the order; collect is then permanent", async () => {
    sim.setIssuance({ approvalRequired: true });
    const a = await scm.ssl.enroll({ orgId: SEED.orgId, csr, certType: SEED.sslProfile, term: 365, customFields: SEED.sslCustomFields });
    const b = await scm.ssl.enroll({ orgId: SEED.orgId, csr, certType: SEED.sslProfile, term: 365, customFields: SEED.sslCustomFields });
    await admin(sim, "POST", `/__sim/sectigo/orders/${a.sslId}/reject`);
    await admin(sim, "POST", `/__sim/sectigo/orders/${b.sslId}/decline`);
    expect((await scm.ssl.get(a.sslId)).status).toBe("Rejected");
    expect((await scm.ssl.get(b.sslId)).status).toBe("Declined");
    expect(await kindOf(scm.ssl.collect(a.sslId))).toBe("permanent");
  });

  it("issue now skips the delay; domain validation releases DCV waits", async () => {
    sim.setIssuance({ delayMs: 3_600_000 });
    const { sslId } = await scm.ssl.enroll({ orgId: SEED.orgId, csr, certType: SEED.sslProfile, term: 365, customFields: SEED.sslCustomFields });
    expect(await kindOf(scm.ssl.collect(sslId))).toBe("pending");
    expect((await admin(sim, "POST", `/__sim/sectigo/orders/${sslId}/issue`)).json["status"]).toBe("Issued");
    sim.setIssuance({ delayMs: 0 });
    const dcv = await scm.ssl.enroll({
      orgId: SEED.orgId,
      csr: await makeCsr("www.newdomain.test"),
      certType: SEED.sslProfile,
      term: 365,
      customFields: SEED.sslCustomFields,
      dcvMode: "HTTP",
    });
    expect(await kindOf(scm.ssl.collect(dcv.sslId))).toBe("pending");
    expect((await admin(sim, "POST", "/__sim/sectigo/domains/validate", { domain: "newdomain.test" })).status).toBe(200);
    expect(await kindOf(scm.ssl.collect(dcv.sslId))).toBe("ok");
  });

  it("state lets a test assert exactly one order per family, collects, revocations and calls per endpoint", async () => {
    const { sslId } = await scm.ssl.enroll({ orgId: SEED.orgId, csr, certType: SEED.sslProfile, term: 365, customFields: SEED.sslCustomFields });
    await scm.ssl.collect(sslId);
    await scm.ssl.revoke(sslId, { reason: "superseded", message: "done" });
    const s = (await admin(sim, "GET", "/__sim/state")).json;
    expect(s).toMatchObject({
      ordersByFamily: { ssl: 1, smime: 0, device: 0 },
      enrolls: { ssl: 1, smime: 0, device: 0 },
      collects: { ssl: 1, smime: 0, device: 0 },
      revocations: { ssl: 1, smime: 0, device: 0 },
      rateLimitViolations: 0,
      endpointRequests: { "POST /api/ssl/v1/enroll": 1, "GET /api/ssl/v1/collect/:id": 1, "POST /api/ssl/v1/revoke/:id": 1 },
    });
    const orders = (await admin(sim, "GET", "/__sim/sectigo/orders")).json as unknown as Array<Record<string, unknown>>;
    expect(orders).toEqual([expect.objectContaining({ family: "ssl", id: sslId, status: "Revoked", reasonCode: 4 })]);
  });

  it("POST /__sim/config sets issuance knobs too, and rejects nonsense", async () => {
    const res = await request(`${sim.url}/__sim/config`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ collectsBeforeIssued: 3 }),
    });
    expect(((await res.body.json()) as { issuance: { collectsBeforeIssued: number } }).issuance.collectsBeforeIssued).toBe(3);
    const bad = await request(`${sim.url}/__sim/config`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ delayMs: -1 }),
    });
    expect(bad.statusCode).toBe(400);
    await bad.body.dump();
  });

  it("seeding an order with a fixed id over HTTP", async () => {
    const res = await admin(sim, "POST", "/__sim/sectigo/orders", { family: "device", id: 4242, csr, state: "issued" });
    expect([res.status, res.json["id"], res.json["status"]]).toEqual([201, 4242, "Issued"]);
    expect((await scm.device.get(4242)).status).toBe("Issued");
    expect((await admin(sim, "POST", "/__sim/sectigo/orders", { family: "nope", csr })).status).toBe(400);
  });
});
