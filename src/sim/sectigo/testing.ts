// Builders for tests that talk to the simulated SCM: CSRs, a client wired to a simulator, and the
// account ids of the default seed.
import { generateKeyPair } from "node:crypto";
import { promisify } from "node:util";
import { createCsr, type SubjectAltNames } from "../../pki/csr.ts";
import { generateKey, type KeySpec } from "../../pki/keys.ts";
import { createSectigoClient, type SectigoClient } from "../../vendors/sectigo/client.ts";
import type { SectigoConnectionOptions } from "../../vendors/sectigo/transport.ts";
import type { SectigoSimulator } from "./server.ts";

/** Ids in DEFAULT_SEED. */
export const SEED = {
  orgId: 8932,
  departmentId: 8933,
  sslProfile: 5153,
  sslProfileNoRenew: 5154,
  smimeProfile: 5254,
  deviceProfile: 5980,
  sslCustomFields: [{ name: "custom field", value: "team-a" }],
  deviceCustomFields: [{ name: "custom field", value: "fleet-1" }],
} as const;

/** A CSR for `commonName` (EC P-256 by default: fast to generate). */
export async function makeCsr(commonName: string, sans: SubjectAltNames = {}, spec: KeySpec = { algorithm: "ECDSA", size: 256 }): Promise<string> {
  const key = await generateKey(spec);
  return createCsr({ privateKey: key.privateKey, subject: { commonName }, sans });
}

/** A CSR with a 1024-bit RSA key, which SCM refuses (-141). */
export async function makeWeakRsaCsr(commonName: string): Promise<string> {
  const pair = await promisify(generateKeyPair)("rsa", { modulusLength: 1024, publicExponent: 0x10001 });
  return createCsr({ privateKey: pair.privateKey, subject: { commonName } });
}

export function clientFor(sim: Pick<SectigoSimulator, "url" | "credentials" | "customerUri">, overrides: Partial<SectigoConnectionOptions> = {}): SectigoClient {
  return createSectigoClient({ baseUrl: sim.url, login: sim.credentials.login, password: sim.credentials.password, customerUri: sim.customerUri, backoffBaseMs: 5, ...overrides });
}
