import { describe, expect, test, beforeAll } from "vitest";
import { generateKey, exportPrivateKeyPem } from "../../pki/keys.ts";
import { createTestCa, type TestCa } from "../../pki/test-ca.ts";
import { docCertBlobSample as docSampleBlob } from "./doc-examples.ts";
import { ZpaSimError } from "./errors.ts";
import { parseCertBlob, toRfc2253 } from "./cert-blob.ts";

let ca: TestCa;
beforeAll(async () => {
  ca = await createTestCa({ name: "cert-blob test" });
});

describe("parseCertBlob", () => {
  test("the documented sample reports what the documented response shows", async () => {
    const p = await parseCertBlob(docSampleBlob().repaired);
    expect(p).toMatchObject({
      cName: "test.com",
      validFromInEpochSec: 1657894594,
      validToInEpochSec: 1689430594,
      issuedTo: "CN=test.com,O=Test_Zscaler,ST=FL,C=us",
      issuedBy: "CN=test.com,O=Test_Zscaler,ST=FL,C=us",
      serialNo: "0",
      san: ["test.com"],
    });
    expect(p.publicKey).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(JSON.stringify(p)).not.toContain("PRIVATE KEY");
  });

  test("SAN DNS names are reported when the extension exists; the chain is kept apart", async () => {
    const leaf = await ca.issue({ commonName: "www.sim.example" }, { dnsNames: ["a.sim.example", "b.sim.example"] }, { usage: "server" });
    const p = await parseCertBlob(leaf.leafPem + leaf.chainPem + leaf.keyPem);
    expect(p.san).toEqual(["a.sim.example", "b.sim.example"]);
    expect(p.cName).toBe("www.sim.example");
    expect(p.serialNo).toBe(BigInt(`0x${leaf.serialHex}`).toString());
    expect(p.certChain).toContain("BEGIN CERTIFICATE");
  });

  const rejects: Array<{ reason: string; blob: () => Promise<string> }> = [
    { reason: "no certificate at all", blob: async () => (await ca.issue({ commonName: "x" }, {}, { usage: "server" })).keyPem },
    { reason: "certificate without its private key", blob: async () => (await ca.issue({ commonName: "x" }, {}, { usage: "server" })).leafPem },
    {
      reason: "a private key that belongs to another certificate",
      blob: async () =>
        (await ca.issue({ commonName: "x" }, {}, { usage: "server" })).leafPem + exportPrivateKeyPem((await generateKey({ algorithm: "ECDSA" })).privateKey),
    },
    { reason: "the documented sample with its mangled armor, as printed", blob: async () => docSampleBlob().mangled },
    { reason: "garbage inside the armor", blob: async () => "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n" },
    { reason: "plain text", blob: async () => "hello" },
    {
      reason: "an encrypted PKCS#8 key",
      blob: async () =>
        (await ca.issue({ commonName: "x" }, {}, { usage: "server" })).leafPem +
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
    },
  ];
  test.each(rejects)("rejects with 400 invalid.input: $reason", async ({ blob }) => {
    const err = await parseCertBlob(await blob()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ZpaSimError);
    expect((err as ZpaSimError).status).toBe(400);
    expect((err as ZpaSimError).body.id).toBe("invalid.input");
    expect(JSON.stringify((err as ZpaSimError).body)).not.toContain("BEGIN");
  });
});

describe("toRfc2253", () => {
  test.each([
    { reason: "reverses Node's encoding order, as ZPA prints", node: "C=us\nST=FL\nO=Test_Zscaler\nCN=test.com", zpa: "CN=test.com,O=Test_Zscaler,ST=FL,C=us" },
    {
      reason: "emailAddress becomes OID=#DER hex, as in the documented issuedTo",
      node: "C=IN\nST=IN\nL=IN\nO=ak\nOU=ak\nCN=ak\nemailAddress=ak",
      zpa: "1.2.840.113549.1.9.1=#1602616b,CN=ak,OU=ak,O=ak,L=IN,ST=IN,C=IN",
    },
  ])("$reason", ({ node, zpa }) => {
    expect(toRfc2253(node)).toBe(zpa);
  });
});
