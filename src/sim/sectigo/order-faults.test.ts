// The enrollment faults the "never pay twice" tests rely on: a slow enroll creates the order after the
// client gave up and no search shows it before; a lost answer leaves an order the client never heard of.
// The pattern must reach every paid path our client calls, under both logins (password on `/api/…`,
// certificate on `/private/api/…`), or chaos runs never fault those calls.
import { Agent } from "undici";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DEVICE, PRIVATE_PREFIX, SMIME, SSL, type SectigoClient } from "../../vendors/sectigo/index.ts";
import { FaultInjector } from "../shared/faults.ts";
import { SECTIGO_ENROLL_PATTERN, enrollProcessingDelay, enrollResponseLost } from "./order-faults.ts";
import { startSectigoSimulator, type SectigoSimulator } from "./server.ts";
import { clientFor, makeCsr, SEED } from "./testing.ts";

const pattern = new RegExp(SECTIGO_ENROLL_PATTERN);

async function enroll(scm: SectigoClient, cn = "slow.example.com"): Promise<void> {
  await scm.ssl.enroll({
    orgId: SEED.orgId,
    csr: await makeCsr(cn),
    certType: SEED.sslProfile,
    term: 365,
    customFields: SEED.sslCustomFields,
    marker: { uid: "u-1", revision: 1 },
  });
}

describe("the enroll pattern", () => {
  it.each([
    ["POST /api/ssl/v1/enroll", true, "SSL enroll, password login: the paid call"],
    ["POST /api/smime/v1/enroll", true, "client (S/MIME) enroll, password login"],
    ["POST /api/device/v1/enroll", true, "device enroll, password login"],
    ["POST /private/api/ssl/v1/enroll", true, "SSL enroll, certificate login (same path under /private)"],
    ["POST /private/api/smime/v1/enroll", true, "client enroll, certificate login"],
    ["POST /private/api/device/v1/enroll", true, "device enroll, certificate login"],
    ["GET /api/ssl/v1/enroll", false, "not a POST: nothing is ordered"],
    ["POST /api/ssl/v1/enroll-keygen", false, "paid, but the operator never calls it (it sends its own CSR)"],
    ["POST /private/api/ssl/v1/approve/1", false, "approve orders nothing"],
    ["POST /api/ssl/v1/revoke/1", false, "revoke orders nothing"],
    ["GET /private/api/ssl/v1", false, "a list only reads"],
    ["GET /private/api/ssl/v1/collect/1", false, "collect only reads"],
    ["POST /private/private/api/ssl/v1/enroll", false, "no such route: the prefix comes once"],
    ["POST /other/api/ssl/v1/enroll", false, "no such route: only /private prefixes the API"],
  ])("%s → faulted: %s (%s)", (route, hit) => {
    expect(pattern.test(route)).toBe(hit);
  });

  it("covers every family's enroll path the client sends, under both logins", () => {
    const paths = [SSL, SMIME, DEVICE].flatMap((f) => [f.enrollPath, `${PRIVATE_PREFIX}${f.enrollPath}`]);
    expect(paths.filter((p) => !pattern.test(`POST ${p}`))).toEqual([]);
  });

  it("a lost answer strikes the certificate-login enroll through the injector, and only it", () => {
    const faults = new FaultInjector();
    faults.add(enrollResponseLost());
    expect(faults.decide("GET", "/private/api/ssl/v1/types").action).toBeUndefined();
    expect(faults.decide("POST", "/private/api/ssl/v1/enroll").action).toEqual({ kind: "lostResponse" });
  });
});

describe("Sectigo enrollment faults, password login", () => {
  let sim: SectigoSimulator;
  beforeAll(async () => {
    sim = await startSectigoSimulator();
  });
  afterAll(() => sim.close());
  beforeEach(() => sim.reset());
  const searched = async (): Promise<number> => (await clientFor(sim).ssl.findOrders("slow.example.com", { uid: "u-1", revision: 1 })).length;

  it("a slow enroll creates the order after the client timed out; no search shows it before", async () => {
    sim.faults.add(enrollProcessingDelay(600));
    await expect(enroll(clientFor(sim, { timeoutMs: 150 }))).rejects.toMatchObject({ kind: "transient" });
    expect(await searched()).toBe(0);
    await new Promise((r) => setTimeout(r, 800));
    expect(await searched()).toBe(1);
    expect(sim.state().enrolls.ssl).toBe(1);
  });

  it("a lost answer: the connection drops, the order exists", async () => {
    sim.faults.add(enrollResponseLost());
    await expect(enroll(clientFor(sim))).rejects.toMatchObject({ kind: "transient" });
    expect(await searched()).toBe(1);
  });
});

describe("Sectigo enrollment faults, certificate login (/private/api/…)", () => {
  let sim: SectigoSimulator;
  let dispatcher: Agent;
  beforeAll(async () => {
    sim = await startSectigoSimulator({ tls: true });
    dispatcher = new Agent({ connect: { ca: sim.caPem!, cert: sim.adminCertificate!.certPem, key: sim.adminCertificate!.keyPem } });
  });
  afterAll(async () => {
    await dispatcher.close();
    await sim.close();
  });
  // Certificate login sends no password header (the transport drops it); the admin's certificate rides the TLS connection.
  const byCertificate = (): SectigoClient => clientFor(sim, { loginWith: "certificate", dispatcher });

  it("a lost answer strikes the enroll there too: the order exists, the client never heard of it", async () => {
    sim.faults.add(enrollResponseLost());
    await expect(enroll(byCertificate(), "mtls-lost.example.com")).rejects.toMatchObject({ kind: "transient" });
    expect(sim.state().requests["POST /private/api/ssl/v1/enroll"]).toBe(1);
    expect(sim.state().enrolls.ssl).toBe(1);
    expect(sim.faults.list()).toEqual([]);
  });
});
