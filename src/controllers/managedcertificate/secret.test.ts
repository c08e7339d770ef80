// The TLS Secret and the key Secret: what is written (chain order, encodings, extra formats, owner
// labels) and how a Secret is read back, including hostile content.
import { describe, expect, it } from "vitest";
import { X509Certificate } from "node:crypto";
import { annotations, labels } from "../../api/v1alpha1/labels.ts";
import type { ManagedCertificateSpec } from "../../api/v1alpha1/managedcertificate.ts";
import { createTestCa } from "../../pki/test-ca.ts";
import { generateKey } from "../../pki/keys.ts";
import { createCsr } from "../../pki/csr.ts";
import type { Secret, SecretOwner } from "../shared/owned-secret.ts";
import { chooseKey, desiredKeySecret, keyFitsSpec, keySecretName, storedKey } from "./keys.ts";
import { SecretReader, desiredTlsSecret } from "./secret.ts";

const owner: SecretOwner = { kind: "ManagedCertificate", namespace: "ns", name: "web", uid: "u-1" };
const b64 = (s: string) => Buffer.from(s).toString("base64");
const text = (s: string | undefined) => Buffer.from(s ?? "", "base64").toString("utf8");

function spec(over: Partial<ManagedCertificateSpec> = {}): ManagedCertificateSpec {
  return {
    connectionRef: { kind: "VendorConnection", name: "cf" },
    secretName: "web-tls",
    dnsNames: ["a.example.com"],
    privateKey: { algorithm: "ECDSA", size: 256, encoding: "PKCS8", rotationPolicy: "Always" },
    cloudflare: {},
    revocationPolicy: { onDelete: "Retain", superseded: "Retain" },
    secretPolicy: { onDelete: "Retain" },
    ...over,
  } as ManagedCertificateSpec;
}

async function issued() {
  const ca = await createTestCa({ name: "unit" });
  const { privateKey } = await generateKey({ algorithm: "ECDSA", size: 256 });
  const leaf = await ca.signCsr(await createCsr({ privateKey, subject: { commonName: "a.example.com" } }), { usage: "server" });
  return { ca, key: privateKey, chainPem: leaf.leafPem.trim() + "\n" + ca.intermediate.certPem.trim() + "\n" };
}

describe("desiredTlsSecret", () => {
  it("writes tls.crt leaf first, tls.key in the spec's encoding, ca.crt, owner labels, revision and content hash", async () => {
    const { ca, key, chainPem } = await issued();
    const s = desiredTlsSecret(
      owner,
      spec({ secretTemplate: { labels: { team: "a" } } }),
      { chainPem, caPem: ca.root.certPem, vendorRef: "ref-1", revision: 3 },
      key,
    );
    expect(s.type).toBe("kubernetes.io/tls");
    const certs = text(s.data?.["tls.crt"]).match(/-----BEGIN CERTIFICATE-----/g);
    expect(certs).toHaveLength(2);
    expect(new X509Certificate(text(s.data?.["tls.crt"])).ca).toBe(false); // the first block is the leaf
    expect(text(s.data?.["tls.key"])).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(text(s.data?.["ca.crt"]).trim()).toBe(ca.root.certPem.trim());
    expect(s.metadata.labels).toMatchObject({ team: "a", [labels.managed]: "true", [labels.ownerUid]: "u-1", [labels.ownerName]: "web" });
    expect(s.metadata.annotations).toMatchObject({ [annotations.revision]: "3", [annotations.vendorRef]: "ref-1" });
    expect(s.metadata.annotations?.[annotations.contentHash]).toMatch(/^[0-9a-f]{64}$/);
    expect(s.metadata.ownerReferences).toBeUndefined(); // secretPolicy Retain: no garbage collection
  });

  it.each([
    { encoding: "PKCS1" as const, algorithm: "RSA" as const, header: "-----BEGIN RSA PRIVATE KEY-----", why: "PKCS1 is the traditional RSA form" },
    { encoding: "PKCS8" as const, algorithm: "RSA" as const, header: "-----BEGIN PRIVATE KEY-----", why: "PKCS8 for any algorithm" },
  ])("key encoding $encoding ($why)", async ({ encoding, algorithm, header }) => {
    const { chainPem } = await issued();
    const { privateKey } = await generateKey({ algorithm, size: 2048 });
    const s = desiredTlsSecret(
      owner,
      spec({ privateKey: { algorithm, size: 2048, encoding, rotationPolicy: "Always" } }),
      { chainPem, vendorRef: "r", revision: 1 },
      privateKey,
    );
    expect(text(s.data?.["tls.key"]).startsWith(header)).toBe(true);
  });

  it("adds CombinedPEM and DER when asked, and an ownerReference for secretPolicy Delete", async () => {
    const { key, chainPem } = await issued();
    const s = desiredTlsSecret(
      owner,
      spec({ additionalOutputFormats: [{ type: "CombinedPEM" }, { type: "DER" }], secretPolicy: { onDelete: "Delete" } }),
      { chainPem, vendorRef: "r", revision: 1 },
      key,
    );
    expect(text(s.data?.["tls-combined.pem"])).toMatch(/^-----BEGIN PRIVATE KEY-----[\s\S]+-----BEGIN CERTIFICATE-----/);
    expect(new X509Certificate(Buffer.from(s.data!["tls.der"]!, "base64")).ca).toBe(false);
    expect(s.data?.["key.der"]).toBeDefined();
    expect(s.metadata.ownerReferences?.[0]).toMatchObject({ kind: "ManagedCertificate", uid: "u-1" });
  });
});

describe("SecretReader", () => {
  it.each([
    { why: "garbage certificate", data: { "tls.crt": b64("junk"), "tls.key": b64("junk") }, want: { hasCertificate: false, keyMatchesCertificate: false } },
    { why: "no key", data: { "tls.crt": b64("x") }, want: { hasKey: false, keyMatchesCertificate: false } },
    { why: "empty Secret", data: {}, want: { hasCertificate: false, hasKey: false } },
  ])("reads hostile content as a mismatch, never a crash: $why", ({ data, want }) => {
    expect(new SecretReader().view({ metadata: { uid: "s", resourceVersion: "1" }, data: data as Record<string, string> })).toMatchObject(want);
  });

  it("a key from another certificate is a mismatch; the right one matches and gives the serial", async () => {
    const { key, chainPem } = await issued();
    const good = desiredTlsSecret(owner, spec(), { chainPem, vendorRef: "r", revision: 1 }, key);
    const view = new SecretReader().view({ ...good, metadata: { ...good.metadata, uid: "a", resourceVersion: "1" } });
    expect(view).toMatchObject({
      hasCertificate: true,
      hasKey: true,
      keyMatchesCertificate: true,
      serialNumber: new X509Certificate(chainPem).serialNumber.toLowerCase(),
    });
    const other = (await generateKey({ algorithm: "ECDSA", size: 256 })).privateKey;
    const bad: Secret = {
      ...good,
      metadata: { uid: "b", resourceVersion: "1" },
      data: { ...good.data, "tls.key": b64(other.export({ type: "pkcs8", format: "pem" }).toString()) },
    };
    expect(new SecretReader().view(bad).keyMatchesCertificate).toBe(false);
  });
});

describe("key Secret", () => {
  it("stores the key for one revision; another revision or a changed key spec finds nothing", async () => {
    const { privateKey } = await generateKey({ algorithm: "ECDSA", size: 256 });
    const s = desiredKeySecret(owner, privateKey, 4);
    expect(s.metadata.name).toBe("web-certbridge-key");
    expect(s.type).toBe("Opaque");
    expect(storedKey(s, 4, spec())?.equals(privateKey)).toBe(true);
    expect(storedKey(s, 5, spec())).toBeUndefined();
    expect(storedKey(s, 4, spec({ privateKey: { algorithm: "RSA", encoding: "PKCS8", rotationPolicy: "Always" } }))).toBeUndefined();
  });

  it.each([
    { rotation: "Never" as const, reuse: true, why: "Never keeps a key that still fits" },
    { rotation: "Always" as const, reuse: false, why: "Always makes a new key" },
  ])("chooseKey with rotationPolicy $rotation ($why)", async ({ rotation, reuse }) => {
    const { privateKey } = await generateKey({ algorithm: "ECDSA", size: 256 });
    const sp = spec({ privateKey: { algorithm: "ECDSA", size: 256, encoding: "PKCS8", rotationPolicy: rotation } });
    const chosen = await chooseKey(sp, privateKey);
    expect(chosen.equals(privateKey)).toBe(reuse);
    expect(keyFitsSpec(chosen, sp)).toBe(true);
  });

  it("long resource names still give a valid Secret name", () => {
    const name = keySecretName("a".repeat(253));
    expect(name.length).toBeLessThanOrEqual(253);
    expect(name.endsWith("-certbridge-key")).toBe(true);
  });
});

describe("SecretReader over a cache that keeps no data (a digest instead)", () => {
  const withMeta = (data: Record<string, string> | undefined, extra: Record<string, unknown> = {}): Secret =>
    ({
      metadata: { name: "web-tls", namespace: "ns", uid: "s-1", resourceVersion: "7" },
      type: "kubernetes.io/tls",
      ...(data ? { data } : {}),
      ...extra,
    }) as Secret;

  it("reads the view, key kind included, from the data; from the digest's facts when the data is not there", async () => {
    const { key, chainPem } = await issued();
    const live = desiredTlsSecret(owner, spec(), { chainPem, vendorRef: "r", revision: 1 }, key);
    const fromData = new SecretReader().view(withMeta(live.data));
    expect(fromData).toMatchObject({ hasCertificate: true, hasKey: true, keyMatchesCertificate: true, keySpec: { algorithm: "ECDSA", size: 256 } });
    expect(new SecretReader().view(withMeta(undefined, { digest: { facts: fromData } }))).toEqual(fromData);
  });

  it("a copy without data or facts reads as lacking the certificate, and is not remembered for the same version with its data", async () => {
    const { key, chainPem } = await issued();
    const live = desiredTlsSecret(owner, spec(), { chainPem, vendorRef: "r", revision: 1 }, key);
    const reader = new SecretReader();
    expect(reader.view(withMeta(undefined, { digest: { sizes: {}, hash: "h" } }))).toMatchObject({ hasCertificate: false });
    // The reconciler then reads the Secret live: the same uid and resourceVersion, with its data.
    expect(reader.view(withMeta(live.data))).toMatchObject({ hasCertificate: true, keyMatchesCertificate: true });
  });
});
