// The shared control plane's CA issues identities to test files running in parallel
// (kubeconfigForUser, ControlPlane.kubeconfigFor): issuing must not share mutable state between calls.
import { X509Certificate, createPrivateKey } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createPki, issueClientCredentials } from "./pki.ts";

const dir = mkdtempSync(join(tmpdir(), "certbridge-pki-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("issueClientCredentials", () => {
  it("issues concurrently without failures or repeated serials (a shared serial file was read half-written)", async () => {
    const pki = await createPki(dir);
    const users = Array.from({ length: 24 }, (_, i) => `user-${i}`);
    const issued = await Promise.all(users.map((u) => issueClientCredentials(pki, u, ["team"])));
    const certs = issued.map((c) => new X509Certificate(c.certPem));
    const ca = new X509Certificate(readFileSync(pki.caCert, "utf8"));
    expect(certs.map((c) => c.subject)).toEqual(users.map((u) => `O=team\nCN=${u}`));
    expect(certs.every((c) => c.verify(ca.publicKey))).toBe(true);
    expect(new Set(certs.map((c) => c.serialNumber)).size).toBe(users.length);
  });

  it("the same user issued twice at once gets two matching key pairs (no shared file names)", async () => {
    const pki = await createPki(join(dir, "same-user"));
    const issued = await Promise.all([1, 2, 3, 4].map(() => issueClientCredentials(pki, "twice", [])));
    for (const c of issued) expect(new X509Certificate(c.certPem).checkPrivateKey(createPrivateKey(c.keyPem))).toBe(true);
  });
});
