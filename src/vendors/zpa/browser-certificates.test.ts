// ZpaBrowserCertificateStore against the ZPA simulator: upload joins certificate and key into one
// certBlob, find matches names exactly, delete of a missing certificate is success.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { createTestCa } from "../../pki/test-ca.ts";
import { SEED_IDS } from "../../sim/zpa/seed.ts";
import { startZpaSimulator, type ZpaSimulator } from "../../sim/zpa/server.ts";
import { VendorError } from "../shared/errors.ts";
import { ZpaBrowserCertificateStore } from "./browser-certificates.ts";
import { legacyClient, rejection } from "./testing.ts";

let sim: ZpaSimulator;
beforeAll(async () => {
  sim = await startZpaSimulator({ rateLimits: false });
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

const signal = new AbortController().signal;
const store = () => new ZpaBrowserCertificateStore(legacyClient(sim));

describe("browser certificates", () => {
  test("upload → the stored certificate carries the leaf; find and delete by its id", async () => {
    const ca = await createTestCa({ name: "browser store test" });
    const leaf = await ca.issue({ commonName: "app.example.test" }, { dnsNames: ["app.example.test"] }, { usage: "server" });
    const s = store();
    // No trailing newline on the certificate: the blob must still be two well-formed PEM blocks.
    const ref = await s.upload(
      { name: "ns-app", description: "certbridge", certificatePem: (leaf.leafPem + leaf.chainPem).trimEnd(), privateKeyPem: leaf.keyPem },
      signal,
    );
    expect(ref.name).toBe("ns-app");
    const stored = sim.zpa.store.certificates.get(ref.id);
    expect(stored?.cName).toBe("app.example.test");
    expect(JSON.stringify(stored)).not.toContain("PRIVATE KEY"); // the key is never kept or echoed
    expect(await s.findByName("ns-app", undefined, signal)).toEqual(ref);
    await s.delete(ref.id, undefined, signal);
    expect(await s.findByName("ns-app", undefined, signal)).toBeUndefined();
  });

  const finds: Array<{ reason: string; name: string; want: string | undefined }> = [
    { reason: "the seeded certificate by its exact name", name: "portal.sim.example", want: SEED_IDS.browserCertificate },
    { reason: "a substring is not a match", name: "portal", want: undefined },
  ];
  test.each(finds)("findByName: $reason", async ({ name, want }) => {
    expect((await store().findByName(name, undefined, signal))?.id).toBe(want);
  });

  test("delete of a missing certificate is success", async () => {
    await expect(store().delete("123456789", undefined, signal)).resolves.toBeUndefined();
  });

  test("a certificate without its key is refused as a classified VendorError", async () => {
    const ca = await createTestCa({ name: "browser store test 2" });
    const leaf = await ca.issue({ commonName: "nokey.example.test" }, {}, { usage: "server" });
    const e = await rejection(store().upload({ name: "nokey", certificatePem: leaf.leafPem, privateKeyPem: "" }, signal));
    expect(e).toBeInstanceOf(VendorError);
    expect((e as VendorError).kind).toBe("invalid");
  });
});
