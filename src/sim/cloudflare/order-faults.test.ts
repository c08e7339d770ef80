// The creation faults the "never pay twice" tests rely on, on the raw wire: a slow create commits
// after the client gave up and is invisible until then; a lost answer leaves a created certificate.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startCloudflareSimulator, type CloudflareSimulator } from "./index.ts";
import { createProcessingDelay, createResponseLost } from "./order-faults.ts";
import { bearer, call, sampleCsr, zonePath } from "./test-support.ts";

let sim: CloudflareSimulator;
let csr: string;
beforeAll(async () => {
  sim = await startCloudflareSimulator({ transitionDelayMs: 0 });
  csr = await sampleCsr();
});
afterAll(() => sim.close());
afterEach(() => sim.reset());

const listed = async (): Promise<number> => ((await call(sim.url, "GET", `${zonePath()}?per_page=50`)).body.result as unknown[]).length;
const post = (signal?: AbortSignal) =>
  fetch(`${sim.url}${zonePath()}`, {
    method: "POST",
    headers: { ...bearer, "content-type": "application/json" },
    body: JSON.stringify({ csr, validity_days: 30 }),
    ...(signal ? { signal } : {}),
  });

describe("Cloudflare creation faults", () => {
  it("a slow create commits after the client timed out, and is not listed before", async () => {
    sim.faults.add(createProcessingDelay(600));
    await expect(post(AbortSignal.timeout(150))).rejects.toThrow();
    expect(await listed()).toBe(0);
    await new Promise((r) => setTimeout(r, 800));
    expect(await listed()).toBe(1);
    // Only the faulted create was slow.
    expect((await post()).status).toBe(200);
    expect(await listed()).toBe(2);
  });

  it("a lost answer: the connection drops, the certificate exists", async () => {
    sim.faults.add(createResponseLost());
    await expect(post()).rejects.toThrow();
    expect(await listed()).toBe(1);
    expect((sim.state() as { faultsInjected: Record<string, number> }).faultsInjected["lostResponse"]).toBe(1);
  });
});
