import { X509Certificate } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { createCsr, csrFingerprint, parseCsr } from "./csr.ts";
import { certificatesToPkcs7Der, certificatesToPkcs7Pem, derToPem, fromBase64, pemToDer, pkcs7ToCertificates, toBase64 } from "./formats.ts";
import { inspectCertificate, keyMatchesCertificate, verifyChain } from "./inspect.ts";
import { exportPrivateKeyPem, generateKey, importPrivateKeyPem, keySpecOf, type KeySpec } from "./keys.ts";
import { joinPem, PemError, splitCertificates, splitPem, unescapeNewlines } from "./pem.ts";
import { createTestCa, type TestCa } from "./test-ca.ts";

let ca: TestCa;
beforeAll(async () => {
  ca = await createTestCa({ name: "Unit" });
});

describe("keys", () => {
  const specs: Array<{ spec: KeySpec; header: string; reason: string }> = [
    { spec: { algorithm: "RSA", size: 2048 }, header: "RSA PRIVATE KEY", reason: "PKCS1 for RSA is the traditional form" },
    { spec: { algorithm: "RSA", size: 3072 }, header: "RSA PRIVATE KEY", reason: "larger RSA" },
    { spec: { algorithm: "ECDSA", size: 256 }, header: "EC PRIVATE KEY", reason: "PKCS1 for EC means SEC1" },
    { spec: { algorithm: "ECDSA", size: 384 }, header: "EC PRIVATE KEY", reason: "P-384" },
  ];
  it.each(specs)("$spec.algorithm $spec.size: generate, PKCS1 and PKCS8 round-trip ($reason)", async ({ spec, header }) => {
    const { privateKey } = await generateKey(spec);
    expect(keySpecOf(privateKey)).toEqual(spec);
    const pkcs1 = exportPrivateKeyPem(privateKey, "PKCS1");
    expect(pkcs1).toContain(`BEGIN ${header}`);
    const pkcs8 = exportPrivateKeyPem(privateKey, "PKCS8");
    expect(pkcs8).toContain("BEGIN PRIVATE KEY");
    expect(keySpecOf(importPrivateKeyPem(pkcs1))).toEqual(spec);
    expect(keySpecOf(importPrivateKeyPem(pkcs8))).toEqual(spec);
  });

  it("Ed25519 exports PKCS8 and refuses PKCS1", async () => {
    const { privateKey } = await generateKey({ algorithm: "Ed25519" });
    expect(exportPrivateKeyPem(privateKey)).toContain("BEGIN PRIVATE KEY");
    expect(() => exportPrivateKeyPem(privateKey, "PKCS1")).toThrow(/PKCS8/);
  });

  it("import errors never echo the input", () => {
    expect(() => importPrivateKeyPem("-----BEGIN PRIVATE KEY-----\nSECRETSTUFF\n-----END PRIVATE KEY-----")).toThrow(/^private key PEM could not be parsed$/);
  });
});

describe("csr", () => {
  it("round-trips subject, SANs, public key and SKI", async () => {
    const { privateKey, publicKey } = await generateKey({ algorithm: "ECDSA", size: 256 });
    const pem = await createCsr({
      privateKey,
      subject: {
        commonName: "app.example.com",
        organizations: ["Example Inc"],
        organizationalUnits: ["Ops"],
        countries: ["US"],
        localities: ["Somewhere"],
        provinces: ["CA"],
      },
      sans: {
        dnsNames: ["app.example.com", "www.example.com"],
        ipAddresses: ["10.0.0.1"],
        emailAddresses: ["ops@example.com"],
        uris: ["spiffe://example/app"],
      },
    });
    expect(pem).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----/);
    const csr = await parseCsr(pem);
    expect(csr.signatureValid).toBe(true);
    expect(csr.subject).toEqual({
      commonName: "app.example.com",
      organizations: ["Example Inc"],
      organizationalUnits: ["Ops"],
      countries: ["US"],
      localities: ["Somewhere"],
      provinces: ["CA"],
    });
    expect(csr.sans).toEqual({
      dnsNames: ["app.example.com", "www.example.com"],
      ipAddresses: ["10.0.0.1"],
      emailAddresses: ["ops@example.com"],
      uris: ["spiffe://example/app"],
    });
    expect(csr.publicKey.equals(publicKey)).toBe(true);
    expect(csr.skiHex).toMatch(/^[0-9a-f]{40}$/);
    expect(csrFingerprint(pem)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("builds CSRs for RSA and Ed25519 keys", async () => {
    for (const spec of [{ algorithm: "RSA", size: 2048 }, { algorithm: "Ed25519" }] as const) {
      const { privateKey } = await generateKey(spec);
      const csr = await parseCsr(await createCsr({ privateKey, subject: { commonName: "x" } }));
      expect(csr.signatureValid).toBe(true);
      expect(csr.sans.dnsNames).toEqual([]);
    }
  });

  it("rejects garbage without quoting it", async () => {
    await expect(parseCsr("-----BEGIN CERTIFICATE REQUEST-----\nSECRET\n-----END CERTIFICATE REQUEST-----")).rejects.toThrow(/^CSR could not be parsed$/);
  });
});

describe("test CA", () => {
  it("signs a leaf that verifies against the root via the intermediate (node:crypto)", async () => {
    const { privateKey } = await generateKey({ algorithm: "RSA", size: 2048 });
    const csr = await createCsr({ privateKey, subject: { commonName: "client-1" }, sans: { dnsNames: ["client-1.example"] } });
    const signed = await ca.signCsr(csr, { usage: "client", validityDays: 30 });
    const leaf = new X509Certificate(signed.leafPem);
    const intermediate = new X509Certificate(signed.chainPem);
    const root = new X509Certificate(signed.rootPem);
    expect(leaf.checkIssued(intermediate)).toBe(true);
    expect(leaf.verify(intermediate.publicKey)).toBe(true);
    expect(intermediate.checkIssued(root)).toBe(true);
    expect(intermediate.verify(root.publicKey)).toBe(true);
    expect(root.verify(root.publicKey)).toBe(true);
    expect(intermediate.ca).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(verifyChain(signed.leafPem, signed.chainPem, signed.rootPem)).toMatchObject({ ok: true, path: [leaf.subject, intermediate.subject, root.subject] });
    expect(keyMatchesCertificate(privateKey, signed.leafPem)).toBe(true);
    expect(keyMatchesCertificate((await generateKey({ algorithm: "RSA", size: 2048 })).privateKey, signed.leafPem)).toBe(false);
    expect(leaf.keyUsage).toEqual(["1.3.6.1.5.5.7.3.2"]);
  });

  it("honours SANs, validity, serial and override subject", async () => {
    const { privateKey } = await generateKey({ algorithm: "ECDSA", size: 256 });
    const csr = await createCsr({ privateKey, subject: { commonName: "from-csr" }, sans: { dnsNames: ["a.example"], ipAddresses: ["192.0.2.7"] } });
    const notBefore = new Date("2025-01-01T00:00:00Z");
    const signed = await ca.signCsr(csr, {
      usage: "server",
      notBefore,
      validityDays: 3650,
      overrideSubject: { commonName: "Cloudflare", organizations: ["Org"] },
    });
    const info = await inspectCertificate(signed.leafPem);
    expect(info.notBefore.toISOString()).toBe("2025-01-01T00:00:00.000Z");
    expect(info.notAfter.toISOString()).toBe("2034-12-30T00:00:00.000Z");
    expect(info.subjectCn).toBe("Cloudflare");
    expect(info.subject.organizations).toEqual(["Org"]);
    expect(info.sans.dnsNames).toEqual(["a.example"]);
    expect(info.sans.ipAddresses).toEqual(["192.0.2.7"]);
    expect(info.serialHex).toBe(signed.serialHex);
    expect(info.isCa).toBe(false);
    expect(info.skiHex).toBe((await parseCsr(csr)).skiHex);
    expect(info.akiHex).toBe((await inspectCertificate(signed.chainPem)).skiHex);
    expect(info.fingerprintSha256).toBe(new X509Certificate(signed.leafPem).fingerprint256.replace(/:/g, "").toLowerCase());
    expect(info.issuerDn).toBe(ca.intermediate.subjectDn);
  });

  it("verifyChain refuses wrong roots, missing intermediates and expired leaves", async () => {
    const other = await createTestCa({ name: "Other" });
    const leaf = await ca.issue({ commonName: "x" }, {}, { usage: "server", validityDays: 1 });
    const cases: Array<{ result: ReturnType<typeof verifyChain>; reason: RegExp; why: string }> = [
      { result: verifyChain(leaf.leafPem, leaf.chainPem, other.root.certPem), reason: /no issuer/, why: "a different root" },
      { result: verifyChain(leaf.leafPem, "", leaf.rootPem), reason: /no issuer/, why: "intermediate missing" },
      { result: verifyChain(leaf.leafPem, leaf.chainPem, leaf.rootPem, new Date(Date.now() + 3 * 86_400_000)), reason: /not valid at/, why: "leaf expired" },
      { result: verifyChain("garbage", leaf.chainPem, leaf.rootPem), reason: /could not be parsed/, why: "not a certificate" },
    ];
    for (const c of cases) {
      expect(c.result.ok, c.why).toBe(false);
      if (!c.result.ok) expect(c.result.reason, c.why).toMatch(c.reason);
    }
  });

  it("refuses a CSR whose signature does not verify", async () => {
    const { privateKey } = await generateKey({ algorithm: "ECDSA", size: 256 });
    const csr = await createCsr({ privateKey, subject: { commonName: "x" } });
    const der = pemToDer(csr);
    der[der.length - 5] = der[der.length - 5]! ^ 0xff; // flip a signature byte
    await expect(ca.signCsr(derToPem(der, "CERTIFICATE REQUEST"), { usage: "client" })).rejects.toThrow(/signature/);
  });
});

describe("pem", () => {
  it("splits, joins and canonicalises bundles", async () => {
    const leaf = await ca.issue({ commonName: "p" }, {}, { usage: "server" });
    const bundle = joinPem([leaf.leafPem, leaf.chainPem, leaf.rootPem]);
    expect(splitCertificates(bundle)).toHaveLength(3);
    expect(splitPem(bundle).map((b) => b.label)).toEqual(["CERTIFICATE", "CERTIFICATE", "CERTIFICATE"]);
    expect(splitCertificates(JSON.stringify(leaf.leafPem).slice(1, -1))).toEqual([leaf.leafPem]); // "\n"-escaped, as in vendor docs
    expect(unescapeNewlines("a\\nb")).toBe("a\nb");
  });

  const bad: Array<{ input: string; opts?: Parameters<typeof splitPem>[1]; message: RegExp; reason: string }> = [
    { input: "nothing here", message: /no PEM blocks/, reason: "no blocks" },
    { input: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END X509 CRL-----", message: /labels differ/, reason: "mismatched labels" },
    { input: "-----BEGIN CERTIFICATE-----\nA*A=\n-----END CERTIFICATE-----", message: /invalid base64/, reason: "bad characters" },
    {
      input: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
      opts: { label: "CERTIFICATE" },
      message: /expected CERTIFICATE/,
      reason: "wrong label where one is required",
    },
    { input: "x".repeat(2000), opts: { maxBytes: 1000 }, message: /exceeds 1000 bytes/, reason: "size cap before parsing" },
    { input: "-----BEGIN A-----\nAAAA\n-----END A-----\n".repeat(3), opts: { maxBlocks: 2 }, message: /more than 2 blocks/, reason: "block cap" },
  ];
  it.each(bad)("rejects: $reason", ({ input, opts, message }) => {
    expect(() => splitPem(input, opts)).toThrow(PemError);
    expect(() => splitPem(input, opts)).toThrow(message);
  });
});

describe("formats", () => {
  it("PKCS#7 certs-only round-trips in DER and PEM; DER and base64 round-trip", async () => {
    const leaf = await ca.issue({ commonName: "f" }, {}, { usage: "device" });
    const bundle = joinPem([leaf.leafPem, leaf.chainPem]);
    expect(pkcs7ToCertificates(certificatesToPkcs7Der(bundle))).toEqual([leaf.leafPem, leaf.chainPem]);
    const p7pem = certificatesToPkcs7Pem(bundle);
    expect(p7pem).toMatch(/^-----BEGIN PKCS7-----/);
    expect(pkcs7ToCertificates(p7pem)).toEqual([leaf.leafPem, leaf.chainPem]);
    expect(pkcs7ToCertificates(toBase64(certificatesToPkcs7Der(bundle)))).toHaveLength(2);
    expect(derToPem(pemToDer(leaf.leafPem))).toBe(leaf.leafPem);
    expect(fromBase64(toBase64(Buffer.from("hi"))).toString()).toBe("hi");
    expect(() => fromBase64("**")).toThrow(/invalid base64/);
    expect(() => pkcs7ToCertificates(Buffer.from("nope"))).toThrow(/PKCS#7/);
  });
});
