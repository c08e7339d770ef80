import { describe, expect, it } from "vitest";
import { createTestCa } from "../../../pki/test-ca.ts";
import { renderInspection } from "./render.ts";
import { createStyle } from "../style.ts";
import { tlsReport } from "./tls-report.ts";

const b64 = (s: string) => Buffer.from(s).toString("base64");
const NOW = new Date();

/** A real chain from the test CA: an ECDSA leaf with its key, the intermediate, and the root as ca.crt. */
async function fixture(opts: { validityDays?: number; notBefore?: Date; notAfter?: Date; keySpec?: { algorithm: "RSA"; size: 2048 } } = {}) {
  const ca = await createTestCa({ name: "Inspect Test" });
  const leaf = await ca.issue(
    { commonName: "shop.example.com", organizations: ["Example"] },
    { dnsNames: ["shop.example.com"], ipAddresses: ["192.0.2.7"] },
    { usage: "server", ...opts },
  );
  return { ca, leaf, data: { "tls.crt": b64(leaf.leafPem + leaf.chainPem), "tls.key": b64(leaf.keyPem), "ca.crt": b64(leaf.rootPem) } };
}

/** Every way the private key could leak: PEM armour, the Secret's base64, the PEM body and its lines, the DER in hex. */
function keyLeaks(text: string, keyPem: string): string[] {
  const body = keyPem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
  const der = Buffer.from(body, "base64");
  const needles = [
    "PRIVATE KEY",
    b64(keyPem),
    body,
    ...keyPem.split("\n").filter((l) => l.length >= 32 && !l.startsWith("-----")),
    der.toString("hex"),
    der.subarray(der.length - 32).toString("base64"),
  ];
  return needles.filter((n) => text.includes(n));
}

describe("inspect secret", () => {
  it("reads a TLS Secret as a person would: subject, SANs, issuer, validity, key type, fingerprints, a verified chain, a matching key", async () => {
    const { leaf, data } = await fixture();
    const r = await tlsReport(data, NOW);
    expect(r.problems).toEqual([]);
    expect(r.certificates).toHaveLength(2);
    expect(r.certificates[0]).toMatchObject({
      subject: expect.stringContaining("CN=shop.example.com"),
      issuer: expect.stringContaining("Inspect Test"),
      sans: { dns: ["shop.example.com"], ip: ["192.0.2.7"], email: [], uri: [] },
      serialNumber: leaf.serialHex,
      publicKey: "ECDSA P-256",
      isCa: false,
      selfSigned: false,
    });
    expect(r.certificates[0]!.sha256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(r.certificates[1]).toMatchObject({ isCa: true, selfSigned: false });
    expect(r.ca[0]).toMatchObject({ isCa: true, selfSigned: true });
    expect(r.chain).toMatchObject({ result: "verified", against: "ca.crt" });
    expect(r.chain.path).toHaveLength(3);
    expect(r.privateKey).toEqual({ type: "ECDSA P-256", encoding: "PKCS#8", matchesLeaf: true });
  });

  it("never puts the private key into the report, its JSON or the text (PEM, base64, DER hex)", async () => {
    const { leaf, data } = await fixture({ keySpec: { algorithm: "RSA", size: 2048 } });
    const r = await tlsReport(data, NOW);
    expect(r.privateKey?.type).toBe("RSA 2048");
    const text = renderInspection({ namespace: "ns", name: "shop-tls", type: "kubernetes.io/tls", labels: {}, annotations: {}, computedHash: "x" }, r, {
      style: createStyle(false),
      now: NOW,
      width: undefined,
    });
    expect(keyLeaks(JSON.stringify(r), leaf.keyPem)).toEqual([]);
    expect(keyLeaks(text, leaf.keyPem)).toEqual([]);
    expect(text).toContain("the key itself is never shown");
    // The check itself finds a leak when there is one.
    expect(keyLeaks(`${text}${leaf.keyPem}`, leaf.keyPem).length).toBeGreaterThan(3);
  });

  const problems = [
    {
      why: "a key from another pair does not match the leaf",
      mutate: async (d: Record<string, string>) => ({ ...d, "tls.key": b64((await fixture()).leaf.keyPem) }),
      expected: "tls.key does not belong to the leaf certificate",
    },
    {
      why: "a garbled key is named, not quoted",
      mutate: async (d: Record<string, string>) => ({ ...d, "tls.key": b64("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n") }),
      expected: "tls.key could not be parsed as a private key",
    },
    {
      why: "a root that did not sign the chain breaks it",
      mutate: async (d: Record<string, string>) => ({ ...d, "ca.crt": b64((await fixture()).leaf.rootPem) }),
      expected: "the chain does not verify",
    },
    { why: "no tls.crt is no TLS Secret", mutate: async () => ({ provisioningKey: b64("value") }), expected: "no tls.crt: not a TLS Secret" },
  ];
  it.each(problems)("says what is wrong: $why", async ({ mutate, expected }) => {
    const { data } = await fixture();
    const r = await tlsReport(await mutate(data), NOW);
    expect(r.problems.join("; ")).toContain(expected);
  });

  it("an expired leaf is a problem; without ca.crt a chain that links up is 'linked', not verified", async () => {
    const expired = await fixture({ notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
    expect((await tlsReport(expired.data, NOW)).problems.join()).toMatch(/the leaf certificate expired on/);
    const { "ca.crt": _root, ...withoutRoot } = (await fixture()).data;
    const r = await tlsReport(withoutRoot, NOW);
    expect(r.chain.result).toBe("linked");
    expect(r.problems).toEqual([]);
  });

  it("lists other data keys by size only", async () => {
    const { data } = await fixture();
    const r = await tlsReport({ ...data, "keystore.p12": b64("x".repeat(2048)) }, NOW);
    expect(r.otherData).toEqual([{ key: "keystore.p12", bytes: 2048 }]);
  });
});
