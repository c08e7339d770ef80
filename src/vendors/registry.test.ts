import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Agent } from "undici";
import type { ResolvedConnection, ResolvedConnectionOf } from "../ports/connection.ts";
import { startSimulators, type RunningSimulators } from "../sim/index.ts";
import { createVendorPorts, lowerRules, zpaEndpoint, ZPA_CLOUD_BASE_URLS, type RegistryVendorPorts } from "./registry.ts";
import { isVendorError, type VendorError } from "./shared/errors.ts";

let sims: RunningSimulators;
const opened: RegistryVendorPorts[] = [];

beforeAll(async () => {
  sims = await startSimulators();
});
afterAll(async () => {
  await Promise.all(opened.map((p) => p.close()));
  await sims.close();
});

function ports(opts: Parameters<typeof createVendorPorts>[0] = {}): RegistryVendorPorts {
  const p = createVendorPorts({ timeoutMs: 5_000, ...opts });
  opened.push(p);
  return p;
}

const str = (v: unknown): string => String(v);

type Vendor = ResolvedConnection["vendor"];
type SettingsOf<V extends Vendor> = ResolvedConnectionOf<V>["settings"];

/** A resolved connection for the running simulator of `vendor`, trusting the sim CA. */
function connection<V extends Vendor>(
  vendor: V,
  over: { credentials?: Record<string, string>; settings?: Partial<SettingsOf<V>>; name?: string; fingerprint?: string; caBundlePem?: string | null } = {},
): ResolvedConnectionOf<V> {
  const creds = sims.credentials[vendor]!;
  const byVendor: { [K in Vendor]: { settings: SettingsOf<K>; credentials: Record<string, string> } } = {
    zpa: {
      settings: { authMode: "Legacy", baseUrl: sims.urls.zpa, customerId: str(creds.customerId) },
      credentials: { clientId: str(creds.clientId), clientSecret: str(creds.clientSecret) },
    },
    cloudflare: {
      settings: { authMode: "APIToken", baseUrl: sims.urls.cloudflare!, zoneId: str(creds.zoneId) },
      credentials: { apiToken: str(creds.apiToken) },
    },
    sectigo: {
      settings: { authMode: "Password", baseUrl: sims.urls.sectigo!, customerUri: str(creds.customerUri) },
      credentials: { login: str(creds.login), password: str(creds.password) },
    },
  };
  const base = byVendor[vendor];
  const ca = over.caBundlePem === null ? {} : { caBundlePem: over.caBundlePem ?? sims.caPem! };
  return {
    kind: "VendorConnection",
    namespace: "ns",
    name: over.name ?? vendor,
    vendor,
    settings: { ...base.settings, ...over.settings },
    credentials: { ...base.credentials, ...over.credentials },
    ...ca,
    fingerprint: over.fingerprint ?? `${vendor}-${JSON.stringify(over)}`,
  } as ResolvedConnectionOf<V>;
}

async function rejection(p: Promise<unknown>): Promise<VendorError> {
  try {
    await p;
  } catch (e) {
    if (isVendorError(e)) return e;
    throw e;
  }
  throw new Error("expected a VendorError");
}

const signal = () => AbortSignal.timeout(15_000);

describe("verify against the simulators (HTTPS, sim CA as the connection's caBundle)", () => {
  const vendors = ["zpa", "cloudflare", "sectigo"] as const;

  test.each(vendors)("%s: the simulator's credentials pass", async (vendor) => {
    await expect(ports().verify(connection(vendor), signal())).resolves.toBeUndefined();
  });

  const wrong: Array<{ vendor: (typeof vendors)[number]; credentials: Record<string, string>; reason: string }> = [
    { vendor: "zpa", credentials: { clientSecret: "not-the-secret" }, reason: "sign-in refused" },
    { vendor: "cloudflare", credentials: { apiToken: "certbridge-sim-cloudflare-api-token-0bad" }, reason: "unknown token" },
    { vendor: "sectigo", credentials: { password: "not-the-password" }, reason: "login refused" },
  ];
  test.each(wrong)("$vendor: wrong credentials fail with kind credentials ($reason)", async ({ vendor, credentials }) => {
    const e = await rejection(ports().verify(connection(vendor, { credentials }), signal()));
    expect(e.kind).toBe("credentials");
    expect(e.vendor).toBe(vendor);
    // Never echoes what it was given.
    expect(e.message).not.toContain(Object.values(credentials)[0]);
  });

  test("cloudflare: email + global API key authenticate too", async () => {
    const creds = sims.credentials.cloudflare!;
    const conn = connection("cloudflare", { settings: { authMode: "APIKey" }, credentials: { email: str(creds.email), apiKey: str(creds.globalApiKey) } });
    await expect(ports().verify(conn, signal())).resolves.toBeUndefined();
  });

  test("zpa: OneAPI client credentials through a tokenUrl", async () => {
    const conn = connection("zpa", { settings: { authMode: "OneAPI", tokenUrl: `${sims.urls.zpa}/oauth2/v1/token` } });
    await expect(ports().verify(conn, signal())).resolves.toBeUndefined();
  });

  test("without the sim CA the certificate is not trusted: a permanent error, not a credentials one", async () => {
    const e = await rejection(ports().verify(connection("cloudflare", { caBundlePem: null }), signal()));
    expect(e.kind).toBe("permanent");
  });

  test("an injected dispatcher is used instead of one built from the CA bundle", async () => {
    let asked = 0;
    const agent = new Agent({ connect: { ca: sims.caPem! } });
    const p = ports({ dispatcherFor: () => (asked++, agent) });
    await p.verify(connection("sectigo", { caBundlePem: null }), signal());
    expect(asked).toBe(1);
    await agent.close();
  });
});

describe("client cache", () => {
  test("one client per fingerprint; a new fingerprint for the same connection replaces the old", async () => {
    const p = ports();
    const a = connection("cloudflare", { fingerprint: "fp-1" });
    expect(p.clientFor(a)).toBe(p.clientFor({ ...a }));
    expect(p.cachedClients).toBe(1);
    const first = p.clientFor(a);
    const rotated = p.clientFor({ ...a, fingerprint: "fp-2" });
    expect(rotated).not.toBe(first);
    expect(p.cachedClients).toBe(1);
  });

  test("least recently used clients beyond the bound are dropped", () => {
    const p = ports({ maxClients: 2 });
    const [a, b, c] = ["a", "b", "c"].map((n) => connection("cloudflare", { name: n, fingerprint: n })) as [
      ResolvedConnection,
      ResolvedConnection,
      ResolvedConnection,
    ];
    const clientA = p.clientFor(a);
    p.clientFor(b);
    p.clientFor(a); // a is now the most recent
    p.clientFor(c); // evicts b
    expect(p.cachedClients).toBe(2);
    expect(p.clientFor(a)).toBe(clientA);
  });

  test("connections on one credential share one rate limiter", () => {
    const p = ports();
    const one = p.clientFor(connection("cloudflare", { name: "one", fingerprint: "one" }));
    const two = p.clientFor(connection("cloudflare", { name: "two", fingerprint: "two" }));
    const other = p.clientFor(connection("cloudflare", { name: "three", fingerprint: "three", credentials: { apiToken: "another-token" } }));
    if (one.vendor !== "cloudflare" || two.vendor !== "cloudflare" || other.vendor !== "cloudflare") throw new Error("expected cloudflare clients");
    expect(one.client.limiter).toBe(two.client.limiter);
    expect(other.client.limiter).not.toBe(one.client.limiter);
  });

  test.each([
    { port: "certificateAuthority" as const, vendor: "cloudflare" as const, ok: true, reason: "Cloudflare mTLS issues certificates" },
    { port: "certificateAuthority" as const, vendor: "sectigo" as const, ok: true, reason: "Sectigo issues certificates" },
    { port: "certificateAuthority" as const, vendor: "zpa" as const, ok: false, reason: "ZPA is no CA" },
    { port: "provisioningKeys" as const, vendor: "zpa" as const, ok: true, reason: "ZPA holds provisioning keys" },
    { port: "provisioningKeys" as const, vendor: "sectigo" as const, ok: false, reason: "only ZPA has provisioning keys" },
    { port: "browserCertificates" as const, vendor: "zpa" as const, ok: true, reason: "ZPA holds browser-access certificates" },
    { port: "browserCertificates" as const, vendor: "cloudflare" as const, ok: false, reason: "only ZPA has browser-access certificates" },
  ])("$port for $vendor: $reason", ({ port, vendor, ok }) => {
    const p = ports();
    const conn = connection(vendor);
    if (ok) {
      // One adapter per client: adapters hold caches of their own.
      expect(p[port](conn)).toBe(p[port]({ ...conn }));
      return;
    }
    let thrown: unknown;
    try {
      p[port](conn);
    } catch (e) {
      thrown = e;
    }
    expect(isVendorError(thrown) && thrown.kind === "invalid").toBe(true);
  });

  test("the adapters talk to the simulator through the cached client", async () => {
    const store = ports().browserCertificates(connection("zpa"));
    await expect(store.findByName("certbridge-no-such-certificate", undefined, signal())).resolves.toBeUndefined();
  });
});

describe("settings → client options", () => {
  const zpa = (settings: Omit<SettingsOf<"zpa">, "customerId">): ResolvedConnectionOf<"zpa"> => ({
    kind: "ClusterVendorConnection",
    name: "z",
    vendor: "zpa",
    settings: { customerId: "1", ...settings },
    credentials: { clientId: "id", clientSecret: "secret" },
    fingerprint: "f",
  });

  test.each<{ settings: Omit<SettingsOf<"zpa">, "customerId">; baseUrl: string; identity: string | undefined; reason: string }>([
    { settings: { authMode: "Legacy", cloud: "GOVUS" }, baseUrl: ZPA_CLOUD_BASE_URLS.GOVUS, identity: undefined, reason: "a cloud name picks the legacy host" },
    {
      settings: { authMode: "Legacy", baseUrl: "https://zpa.example.test/" },
      baseUrl: "https://zpa.example.test",
      identity: undefined,
      reason: "baseUrl wins, trailing slash dropped",
    },
    {
      settings: { authMode: "OneAPI", vanityDomain: "acme" },
      baseUrl: "https://api.zsapi.net",
      identity: "https://acme.zslogin.net",
      reason: "vanity domain names the identity host",
    },
    {
      settings: { authMode: "OneAPI", baseUrl: "https://gw.example.test/zpa", tokenUrl: "https://id.example.test/oauth2/v1/token" },
      baseUrl: "https://gw.example.test",
      identity: "https://id.example.test",
      reason: "the documented /zpa suffix is not doubled",
    },
  ])("$reason", ({ settings, baseUrl, identity }) => {
    const e = zpaEndpoint(zpa(settings));
    expect(e.baseUrl).toBe(baseUrl);
    expect(e.auth.mode === "oneapi" ? e.auth.identityBaseUrl : undefined).toBe(identity);
  });

  test("a tokenUrl with another path is refused as invalid", () => {
    expect(() => zpaEndpoint(zpa({ authMode: "OneAPI", tokenUrl: "https://id.example.test/token" }))).toThrow(/tokenUrl must end with/);
  });

  test.each([
    { override: undefined, read: 16, write: 8, reason: "no override keeps the published budget" },
    { override: { requestsPerMinute: 30 }, read: 6, write: 6, reason: "requests per minute scaled to the 12 s window" },
    { override: { requestsPerMinute: 30, writesPerMinute: 10 }, read: 6, write: 2, reason: "writes capped separately" },
    { override: { requestsPerMinute: 100000 }, read: 16, write: 8, reason: "an override never raises the budget" },
  ])("rate limit: $reason", ({ override, read, write }) => {
    const rules = lowerRules({ read: { limit: 16, windowMs: 12_000 }, write: { limit: 8, windowMs: 12_000 } }, override);
    expect([rules.read!.limit, rules.write!.limit]).toEqual([read, write]);
  });
});
