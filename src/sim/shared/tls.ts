// HTTPS for simulators: a serving certificate for localhost from a sim CA (real X.509 via src/pki).
import { createTestCa, type TestCa } from "../../pki/test-ca.ts";

export interface SimTls {
  readonly certPem: string; // leaf + intermediate, as a server presents it
  readonly keyPem: string;
  /** The root to trust (write it to a CA file for clients). */
  readonly caPem: string;
  readonly ca: TestCa;
}

export async function createSimTls(opts: { hosts?: readonly string[]; ca?: TestCa } = {}): Promise<SimTls> {
  const ca = opts.ca ?? (await createTestCa({ name: "certbridge simulator" }));
  const hosts = opts.hosts ?? ["localhost", "127.0.0.1", "::1"];
  const ips = hosts.filter((h) => /^[\d.]+$/.test(h) || h.includes(":"));
  const dns = hosts.filter((h) => !ips.includes(h));
  const leaf = await ca.issue({ commonName: dns[0] ?? ips[0] ?? "localhost" }, { dnsNames: dns, ipAddresses: ips }, { usage: "server", validityDays: 365 });
  return { certPem: leaf.leafPem + leaf.chainPem, keyPem: leaf.keyPem, caPem: ca.root.certPem, ca };
}
