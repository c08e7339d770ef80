// Sign-in, token caching and refresh, re-auth on 401, and that secrets never leak into errors.
import { afterEach, describe, expect, test } from "vitest";
import { SEED_IDS } from "../../sim/zpa/seed.ts";
import { startZpaSimulator, type ZpaSimulator, type ZpaSimulatorOptions } from "../../sim/zpa/server.ts";
import { createSimTls } from "../../sim/shared/tls.ts";
import { createDispatcher } from "../shared/dispatcher.ts";
import { VendorError } from "../shared/errors.ts";
import { legacyClient, oneApiClient, rejection } from "./testing.ts";

let sim: ZpaSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});
async function start(o: ZpaSimulatorOptions = {}): Promise<ZpaSimulator> {
  sim = await startZpaSimulator({ seed: "empty", rateLimits: false, ...o });
  return sim;
}

describe("token lifecycle", () => {
  test("one sign-in serves sequential calls", async () => {
    const s = await start();
    const zpa = legacyClient(s);
    for (let i = 0; i < 10; i++) await zpa.listCertificates();
    expect(zpa.tokenFetches).toBe(1);
    expect(s.state().tokens.issued.legacy).toBe(1);
  });

  test("concurrent first calls share one sign-in", async () => {
    const s = await start();
    const zpa = legacyClient(s);
    await Promise.all(Array.from({ length: 20 }, () => zpa.listCertificates()));
    expect(s.state().tokens.issued.legacy).toBe(1);
  });

  test("the token is refreshed before it expires (no 401 seen)", async () => {
    const s = await start({ tokenTtlSeconds: 2 });
    const zpa = legacyClient(s);
    await zpa.listCertificates();
    await new Promise((r) => setTimeout(r, 1900)); // past the refresh point (90 % of 2 s), before expiry
    await zpa.listCertificates();
    expect(zpa.tokenFetches).toBe(2);
    expect(s.state().unauthorized).toBe(0);
  });

  test("a session ZPA dropped (401) is re-established once and the call succeeds", async () => {
    const s = await start();
    const zpa = legacyClient(s);
    await zpa.listCertificates();
    expect(s.zpa.expireTokens()).toBe(1);
    await zpa.listCertificates();
    expect(zpa.tokenFetches).toBe(2);
    expect(s.state().unauthorized).toBe(1);
  });

  test("re-auth also covers writes: a create after a dropped session creates exactly one key", async () => {
    const s = await start({ seed: "default" });
    const zpa = legacyClient(s);
    await zpa.listConnectorGroups();
    s.zpa.injectFault("sessionInvalid", { pathPattern: "^POST " });
    await zpa.createProvisioningKey("CONNECTOR_GRP", {
      name: "k",
      maxUsage: 1,
      enrollmentCertId: SEED_IDS.enrollmentCerts.connector,
      zcomponentId: SEED_IDS.connectorGroups.a,
    });
    expect(s.state().created.provisioningKey.CONNECTOR_GRP).toBe(1);
  });

  test("a second 401 in a row is a credentials error (re-auth only once)", async () => {
    const s = await start();
    const zpa = legacyClient(s);
    s.zpa.injectFault("sessionInvalid", { count: 2 });
    const e = await rejection(zpa.listCertificates());
    expect(e).toMatchObject({ kind: "credentials", httpStatus: 401, vendorCode: "access.denied", operation: "listCertificates" });
    expect(zpa.tokenFetches).toBe(2);
  });

  test("OneAPI tokens are cached the same way", async () => {
    const s = await start();
    const zpa = oneApiClient(s);
    await Promise.all([zpa.listCertificates(), zpa.listCertificates()]);
    await zpa.listCertificates();
    expect(s.state().tokens.issued).toEqual({ legacy: 0, oneapi: 1 });
  });
});

describe("bad credentials", () => {
  const cases: Array<{ reason: string; mode: "legacy" | "oneapi"; op: string; status: number; code: string }> = [
    { reason: "legacy /signin with a wrong secret → 401 access.denied", mode: "legacy", op: "signin", status: 401, code: "access.denied" },
    { reason: "OneAPI token with a wrong secret → 401 invalid_client", mode: "oneapi", op: "oauthToken", status: 401, code: "invalid_client" },
  ];
  test.each(cases)("$reason → credentials, and the secret is nowhere in the error", async ({ mode, op, status, code }) => {
    const s = await start();
    const secret = "hunter2-very-secret-value";
    const zpa =
      mode === "legacy"
        ? legacyClient(s, { auth: { mode, clientId: s.credentials[0]!.clientId, clientSecret: secret } })
        : oneApiClient(s, { auth: { mode, clientId: s.credentials[0]!.clientId, clientSecret: secret, identityBaseUrl: s.url } });
    const e = await rejection(zpa.listCertificates());
    expect(e).toBeInstanceOf(VendorError);
    expect(e).toMatchObject({ kind: "credentials", operation: op, httpStatus: status, vendorCode: code });
    const dump = JSON.stringify(e) + String((e as Error).message) + String((e as Error).stack) + JSON.stringify((e as Error).cause ?? null);
    expect(dump).not.toContain(secret);
    expect(s.state().tokens.rejectedSignins).toBe(1);
  });
});

describe("sign-out and TLS", () => {
  test("signOut ends the session on ZPA; the next call signs in again", async () => {
    const s = await start();
    const zpa = legacyClient(s);
    await zpa.listCertificates();
    await zpa.signOut();
    expect(s.state().tokens.live).toBe(0);
    await zpa.listCertificates();
    expect(zpa.tokenFetches).toBe(2);
    expect(s.state().unauthorized).toBe(0);
  });

  test("over HTTPS with the simulator's CA injected through the dispatcher", async () => {
    const tls = await createSimTls();
    const s = await start({ tls: { certPem: tls.certPem, keyPem: tls.keyPem } });
    expect(s.url.startsWith("https://")).toBe(true);
    const zpa = legacyClient(s, { dispatcher: createDispatcher({ caBundlePem: tls.caPem }) });
    expect(await zpa.listCertificates()).toEqual([]);
    const untrusted = legacyClient(s);
    expect(await rejection(untrusted.listCertificates())).toMatchObject({ kind: "permanent", operation: "signin" });
  });
});
