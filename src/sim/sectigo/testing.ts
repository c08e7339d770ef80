// Builders for tests that talk to the simulated SCM: CSRs, a client wired to a simulator, and the
// account ids of the default seed.
import { generateKeyPair } from "node:crypto";
import { crc32 } from "node:zlib";
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

export function clientFor(
  sim: Pick<SectigoSimulator, "url" | "credentials" | "customerUri">,
  overrides: Partial<SectigoConnectionOptions> = {},
): SectigoClient {
  return createSectigoClient({
    baseUrl: sim.url,
    login: sim.credentials.login,
    password: sim.credentials.password,
    customerUri: sim.customerUri,
    backoffBaseMs: 5,
    ...overrides,
  });
}

/** A ZIP archive of stored (uncompressed) entries: what an SSL import uploads. */
export function zipOf(entries: ReadonlyArray<{ readonly name: string; readonly data: Buffer }>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, "utf8");
    const crc = crc32(e.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(e.data.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(e.data.length, 20);
    central.writeUInt32LE(e.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, e.data);
    centrals.push(central, name);
    offset += local.length + name.length + e.data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** A multipart/form-data body with one file part named `file`. */
export function multipartFile(fileName: string, contentType: string, data: Buffer): { contentType: string; body: Buffer } {
  const boundary = "certbridge-sim-boundary-7d3c2a10";
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: ${contentType}\r\n\r\n`);
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: Buffer.concat([head, data, Buffer.from(`\r\n--${boundary}--\r\n`)]) };
}
