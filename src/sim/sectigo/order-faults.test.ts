// The enrollment faults the "never pay twice" tests rely on: a slow enroll creates the order after the
// client gave up and no search shows it before; a lost answer leaves an order the client never heard of.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SECTIGO_ENROLL_PATTERN, enrollProcessingDelay, enrollResponseLost } from "./order-faults.ts";
import { startSectigoSimulator, type SectigoSimulator } from "./server.ts";
import { clientFor, makeCsr, SEED } from "./testing.ts";

let sim: SectigoSimulator;
beforeAll(async () => {
  sim = await startSectigoSimulator();
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

async function enroll(timeoutMs?: number): Promise<void> {
  const scm = clientFor(sim, timeoutMs === undefined ? {} : { timeoutMs });
  await scm.ssl.enroll({
    orgId: SEED.orgId,
    csr: await makeCsr("slow.example.com"),
    certType: SEED.sslProfile,
    term: 365,
    customFields: SEED.sslCustomFields,
    marker: { uid: "u-1", revision: 1 },
  });
}
const searched = async (): Promise<number> => (await clientFor(sim).ssl.findOrders("slow.example.com", { uid: "u-1", revision: 1 })).length;

describe("Sectigo enrollment faults", () => {
  it("a slow enroll creates the order after the client timed out; no search shows it before", async () => {
    sim.faults.add(enrollProcessingDelay(600));
    await expect(enroll(150)).rejects.toMatchObject({ kind: "transient" });
    expect(await searched()).toBe(0);
    await new Promise((r) => setTimeout(r, 800));
    expect(await searched()).toBe(1);
    expect(sim.state().enrolls.ssl).toBe(1);
  });

  it("a lost answer: the connection drops, the order exists", async () => {
    sim.faults.add(enrollResponseLost());
    await expect(enroll()).rejects.toMatchObject({ kind: "transient" });
    expect(await searched()).toBe(1);
  });

  it.each([
    ["POST /api/ssl/v1/enroll", true],
    ["POST /api/smime/v1/enroll", true],
    ["POST /api/device/v1/enroll", true],
    ["POST /api/ssl/v1/approve/1", false],
    ["GET /api/ssl/v1", false],
  ])("the enroll pattern: %s → %s", (route, hit) => {
    expect(new RegExp(SECTIGO_ENROLL_PATTERN).test(route)).toBe(hit);
  });
});
