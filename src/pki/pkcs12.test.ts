// PKCS#12 keystores: proven by what real consumers do with them — Node's TLS stack (OpenSSL inside)
// loads them with the right password and refuses the wrong one; the openssl CLI lists the leaf.
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { X509Certificate } from "node:crypto";
import { createSecureContext } from "node:tls";
import type { KeySpec } from "./keys.ts";
import { toPkcs12 } from "./pkcs12.ts";
import { createTestCa } from "./test-ca.ts";

const PASSWORD = "s3cret-pässword";

function opensslAvailable(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

async function keystore(keySpec: KeySpec) {
  const ca = await createTestCa({ name: "p12" });
  const leaf = await ca.issue({ commonName: "app.example.test" }, { dnsNames: ["app.example.test"] }, { usage: "server", keySpec });
  const pfx = await toPkcs12({ keyPem: leaf.keyPem, certificatePems: [leaf.leafPem, ca.intermediate.certPem], password: PASSWORD, friendlyName: "app" });
  return { pfx, leaf, ca };
}

describe("toPkcs12", () => {
  it.each([
    { keySpec: { algorithm: "RSA", size: 2048 } as const, why: "RSA, the classic keystore key" },
    { keySpec: { algorithm: "ECDSA", size: 256 } as const, why: "ECDSA P-256, the default key" },
    { keySpec: { algorithm: "ECDSA", size: 384 } as const, why: "ECDSA P-384" },
    { keySpec: { algorithm: "Ed25519" } as const, why: "Ed25519, which RSA-only PKCS#12 libraries cannot hold" },
  ])("Node loads a $keySpec.algorithm keystore with the password and refuses a wrong one ($why)", async ({ keySpec }) => {
    const { pfx } = await keystore(keySpec);
    expect(() => createSecureContext({ pfx, passphrase: PASSWORD })).not.toThrow();
    expect(() => createSecureContext({ pfx, passphrase: "wrong" })).toThrow();
  });

  it("builds fresh salts each time, so callers must build it only when they write it", async () => {
    const ca = await createTestCa({ name: "p12" });
    const leaf = await ca.issue({ commonName: "a.example.test" }, {}, { usage: "server" });
    const input = { keyPem: leaf.keyPem, certificatePems: [leaf.leafPem], password: PASSWORD };
    expect((await toPkcs12(input)).equals(await toPkcs12(input))).toBe(false);
  });

  it("refuses to build a keystore without certificates", async () => {
    const ca = await createTestCa({ name: "p12" });
    const leaf = await ca.issue({ commonName: "a.example.test" }, {}, { usage: "server" });
    await expect(toPkcs12({ keyPem: leaf.keyPem, certificatePems: [], password: PASSWORD })).rejects.toThrow(/at least one certificate/);
  });

  it.skipIf(!opensslAvailable())("openssl lists the leaf, the chain and the key, paired by localKeyId, with the password only", async () => {
    const { pfx, leaf, ca } = await keystore({ algorithm: "ECDSA", size: 256 });
    const dir = mkdtempSync(join(tmpdir(), "p12-"));
    try {
      const file = join(dir, "keystore.p12");
      writeFileSync(file, pfx);
      const out = execFileSync("openssl", ["pkcs12", "-in", file, "-passin", `pass:${PASSWORD}`, "-nodes"], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
      const certs = [...out.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map((m) => new X509Certificate(m[0]).fingerprint256);
      expect(certs).toEqual([new X509Certificate(leaf.leafPem).fingerprint256, new X509Certificate(ca.intermediate.certPem).fingerprint256]);
      expect(out).toMatch(/-----BEGIN PRIVATE KEY-----/);
      expect(out).toMatch(/friendlyName: app/);
      const keyIds = [...out.matchAll(/localKeyID: ([0-9A-F ]+)/g)].map((m) => m[1]!.trim());
      expect(keyIds).toHaveLength(2);
      expect(keyIds[0]).toBe(keyIds[1]);
      expect(() => execFileSync("openssl", ["pkcs12", "-in", file, "-passin", "pass:wrong", "-nodes"], { stdio: "ignore" })).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
