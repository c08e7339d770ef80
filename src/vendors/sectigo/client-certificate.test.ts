// Sectigo ClientCertificate authentication, as the vendor documents "User Login via Certificate"
// (DIGEST §3.1): `login` and `customerUri` headers without a password, the documented paths under
// `/private`, the admin's certificate on the TLS connection. Proven against the simulator's HTTPS
// listener (which asks for a client certificate and checks it against the seeded admin's) through
// the registry, the way a VendorConnection reaches SCM, and on the wire with a plain HTTP server.
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CertificateOrder } from "../../ports/certificate-authority.ts";
import type { ResolvedConnection, ResolvedConnectionOf } from "../../ports/connection.ts";
import { createCsr } from "../../pki/csr.ts";
import { keyMatchesCertificate } from "../../pki/inspect.ts";
import { generateKey } from "../../pki/keys.ts";
import { createTestCa } from "../../pki/test-ca.ts";
import { startSectigoSimulator, type SectigoSimulator } from "../../sim/sectigo/server.ts";
import { SEED } from "../../sim/sectigo/testing.ts";
import { createVendorPorts, type RegistryVendorPorts } from "../registry.ts";
import { isVendorError, type VendorError } from "../shared/errors.ts";
import { createSectigoClient } from "./client.ts";
import { vendorFailure } from "../contract/failure.ts";

let sim: SectigoSimulator;
let ports: RegistryVendorPorts;
const signal = () => AbortSignal.timeout(15_000);

beforeAll(async () => {
  sim = await startSectigoSimulator({ tls: true });
  ports = createVendorPorts({ timeoutMs: 5_000 });
});
afterAll(async () => {
  await ports.close();
  await sim.close();
});

let n = 0;
/** A ClientCertificate connection to the simulator, trusting its serving CA. */
function connection(credentials: Record<string, string>): ResolvedConnectionOf<"sectigo"> {
  n++;
  return {
    kind: "VendorConnection",
    namespace: "ns",
    name: `scm-cert-${n}`,
    vendor: "sectigo",
    settings: { authMode: "ClientCertificate", baseUrl: sim.url, customerUri: sim.customerUri, orgId: SEED.orgId },
    credentials,
    caBundlePem: sim.caPem!,
    fingerprint: `scm-cert-${n}`,
  };
}

const admin = () => ({ login: sim.credentials.login, tlsCert: sim.adminCertificate!.certPem, tlsKey: sim.adminCertificate!.keyPem });

describe("ClientCertificate connection against the simulator", () => {
  it("verify passes with the admin's certificate: the call went to /private/api, as the same endpoint", async () => {
    const before = sim.state();
    await expect(ports.verify(connection(admin()), signal())).resolves.toBeUndefined();
    const after = sim.state();
    expect((after.requests["GET /private/api/organization/v1"] ?? 0) - (before.requests["GET /private/api/organization/v1"] ?? 0)).toBe(1);
    expect(after.requests["GET /api/organization/v1"] ?? 0).toBe(before.requests["GET /api/organization/v1"] ?? 0);
    expect(after.authFailures).toBe(before.authFailures);
  });

  it("an order is placed and collected over certificate login (the paid path, not only verify)", async () => {
    const { privateKey } = await generateKey({ algorithm: "ECDSA", size: 256 });
    const csrPem = await createCsr({ privateKey, subject: { commonName: "mtls.example.com" }, sans: { dnsNames: ["mtls.example.com"] } });
    const ca = ports.certificateAuthority(connection(admin()));
    const order = {
      owner: { uid: "0c1d2e3f-0000-4000-8000-00000000beef", namespace: "ns", name: "mtls", revision: 1, specHash: "0123456789abcdef" },
      csrPem,
      publicKeySha256: "0".repeat(64),
      commonName: "mtls.example.com",
      dnsNames: ["mtls.example.com"],
      ipAddresses: [],
      emailAddresses: [],
      uris: [],
      lifetimeDays: 90,
      vendorOptions: { vendor: "sectigo", options: { type: "SSL", profile: { id: SEED.sslProfile }, customFields: SEED.sslCustomFields } },
    } satisfies CertificateOrder;
    const placed = await ca.submit(order, signal());
    const issued = await ca.collect(placed.vendorRef, order, signal());
    expect(issued.state).toBe("issued");
    if (issued.state === "issued") expect(keyMatchesCertificate(privateKey, issued.chainPem)).toBe(true);
    expect(sim.state().requests["POST /private/api/ssl/v1/enroll"]).toBe(1);
  });

  it("a certificate SCM does not know for this admin is refused as bad credentials (401 -16), naming no key material", async () => {
    const stranger = await (await createTestCa({ name: "Stranger CA" })).issue(
      { commonName: sim.credentials.login },
      {},
      { usage: "client", validityDays: 30 },
    );
    const err = await vendorFailure(ports.verify(connection({ login: sim.credentials.login, tlsCert: stranger.leafPem, tlsKey: stranger.keyPem }), signal()));
    expect([err.kind, err.vendorCode, err.httpStatus]).toEqual(["credentials", "-16", 401]);
    expect(JSON.stringify(err.toJSON()) + err.message).not.toMatch(/BEGIN|PRIVATE/);
  });

  it("the admin's certificate under another login is refused too", async () => {
    const err = await vendorFailure(ports.verify(connection({ ...admin(), login: "someone_else" }), signal()));
    expect([err.kind, err.httpStatus]).toEqual(["credentials", 401]);
  });

  type Over = { readonly tlsCert?: string | undefined; readonly tlsKey?: string | undefined };
  it.each<readonly [string, Over, RegExp]>([
    ["no tlsKey in the credentials", { tlsKey: undefined }, /credentials lack tlsKey/],
    ["no tlsCert in the credentials", { tlsCert: undefined }, /credentials lack tlsCert/],
    ["a key that is not the certificate's", { tlsKey: "other" }, /do not belong together/],
    ["text that is no PEM", { tlsCert: "not a certificate" }, /not a PEM certificate or private key/],
  ])("refused before any call: %s (kind invalid, no PEM in the message)", async (_why, over, message) => {
    const base: Record<string, string | undefined> = { ...admin(), ...over };
    if (over.tlsKey === "other") base.tlsKey = (await createTestCa({ name: "k" })).intermediate.keyPem;
    const creds = Object.fromEntries(Object.entries(base).filter((e): e is [string, string] => e[1] !== undefined));
    const before = sim.state().responses;
    const err = await vendorFailure(ports.verify(connection(creds), signal()));
    expect([err.kind, err.message]).toEqual(["invalid", expect.stringMatching(message)]);
    expect(err.message).not.toMatch(/BEGIN|PRIVATE/);
    expect(sim.state().responses).toEqual(before);
  });

  it("password login to the same simulator still works beside it (the listener asks, does not insist)", async () => {
    const conn: ResolvedConnection = {
      ...connection({ login: sim.credentials.login, password: sim.credentials.password }),
      settings: { authMode: "Password", baseUrl: sim.url, customerUri: sim.customerUri },
    };
    await expect(ports.verify(conn, signal())).resolves.toBeUndefined();
  });
});

describe("certificate login on the wire", () => {
  it("sends login and customerUri, no password header, to /private/api/… (a base that ends in /private keeps one)", async () => {
    const seen: Array<{ url: string | undefined; headers: IncomingHttpHeaders }> = [];
    const server = createServer((req, res) => {
      seen.push({ url: req.url, headers: req.headers });
      res.writeHead(200, { "content-type": "application/json" }).end("[]");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      for (const baseUrl of [origin, `${origin}/private`, `${origin}/private/`]) {
        await createSectigoClient({ baseUrl, login: "api_admin", customerUri: "cst9", loginWith: "certificate", maxAttempts: 1 }).organizations.list();
      }
      expect(seen.map((s) => s.url)).toEqual(["/private/api/organization/v1", "/private/api/organization/v1", "/private/api/organization/v1"]);
      for (const s of seen) {
        expect([s.headers["login"], s.headers["customeruri"], s.headers["password"]]).toEqual(["api_admin", "cst9", undefined]);
      }
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
