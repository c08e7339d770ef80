// Builders for tests of the ZPA client against the simulator.
import type { ZpaSimulator } from "../../sim/zpa/server.ts";
import { ZpaClient, type ZpaClientOptions } from "./client.ts";

export function legacyClient(sim: ZpaSimulator, over: Partial<ZpaClientOptions> = {}): ZpaClient {
  const c = sim.credentials[0]!;
  return new ZpaClient({
    baseUrl: sim.url,
    customerId: sim.customerId,
    auth: { mode: "legacy", clientId: c.clientId, clientSecret: c.clientSecret },
    backoffBaseMs: 10,
    ...over,
  });
}

export function oneApiClient(sim: ZpaSimulator, over: Partial<ZpaClientOptions> = {}): ZpaClient {
  const c = sim.credentials[0]!;
  return new ZpaClient({
    baseUrl: sim.url,
    customerId: sim.customerId,
    // The simulator serves the identity host and the API gateway on one port.
    auth: { mode: "oneapi", clientId: c.clientId, clientSecret: c.clientSecret, identityBaseUrl: sim.url },
    backoffBaseMs: 10,
    ...over,
  });
}

/** The rejection of `p`, or a failure if it resolved. */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected the call to fail");
}
