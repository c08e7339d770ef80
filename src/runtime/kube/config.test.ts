import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dump } from "js-yaml";
import { afterAll, describe, expect, it } from "vitest";
import { type KubeConnectionConfig, loadKubeConfig, TOKEN_REREAD_MS } from "./config.ts";
import { loadKubeconfigFiles } from "./kubeconfig-client-node.ts";

const root = mkdtempSync(join(tmpdir(), "kubeconfig-test-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let seq = 0;
/** A fresh directory per case, so files of one case never satisfy another. */
const freshDir = (): string => {
  const dir = join(root, `case-${++seq}`);
  mkdirSync(dir, { recursive: true });
  return dir;
};
const b64 = (s: string) => Buffer.from(s).toString("base64");
const write = (path: string, text: string): string => {
  writeFileSync(path, text);
  return path;
};

interface KubeconfigSpec {
  cluster?: Record<string, unknown>;
  user?: Record<string, unknown> | undefined;
  clusters?: Array<{ name: string; cluster: Record<string, unknown> }>;
  users?: Array<{ name: string; user: Record<string, unknown> }>;
  contexts?: Array<{ name: string; context: Record<string, unknown> }>;
  currentContext?: string | null;
}

/** Builds a kubeconfig document: one cluster/user/context named "c"/"u"/"ctx" unless the spec lists its own. */
function kubeconfig(spec: KubeconfigSpec = {}): string {
  const doc: Record<string, unknown> = {
    apiVersion: "v1",
    kind: "Config",
    clusters: spec.clusters ?? [{ name: "c", cluster: { server: "https://api.example:6443", ...spec.cluster } }],
    users: spec.users ?? (spec.user === undefined ? [] : [{ name: "u", user: spec.user }]),
    contexts: spec.contexts ?? [{ name: "ctx", context: { cluster: "c", ...(spec.user === undefined ? {} : { user: "u" }) } }],
  };
  if (spec.currentContext !== null) doc["current-context"] = spec.currentContext ?? "ctx";
  return dump(doc);
}

/** Env with nothing that would make the loader look outside the case's directory. */
const isolatedEnv = (dir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ HOME: join(dir, "home"), PATH: process.env.PATH, ...extra });
const noInCluster = (dir: string) => join(dir, "no-serviceaccount");
const OIDC_ID_TOKEN = jwtExpiringIn(3600);

describe("loadKubeConfig: kubeconfig fields", () => {
  it.each([
    {
      reason: "inline data fields are base64-decoded",
      spec: () => ({ cluster: { "certificate-authority-data": b64("CA") }, user: { "client-certificate-data": b64("CERT"), "client-key-data": b64("KEY") } }),
      tls: { ca: "CA", cert: "CERT", key: "KEY", rejectUnauthorized: true },
      headers: {},
    },
    {
      reason: "absolute file fields are read",
      spec: (dir: string) => ({
        cluster: { "certificate-authority": write(join(dir, "ca.pem"), "CA-FILE") },
        user: { "client-certificate": write(join(dir, "c.pem"), "CERT-FILE"), "client-key": write(join(dir, "k.pem"), "KEY-FILE") },
      }),
      tls: { ca: "CA-FILE", cert: "CERT-FILE", key: "KEY-FILE", rejectUnauthorized: true },
      headers: {},
    },
    {
      reason: "relative paths resolve against the kubeconfig's directory, not the working directory",
      spec: (dir: string) => {
        mkdirSync(join(dir, "pki"));
        write(join(dir, "pki", "ca.pem"), "REL-CA");
        write(join(dir, "pki", "c.pem"), "REL-CERT");
        write(join(dir, "pki", "k.pem"), "REL-KEY");
        write(join(dir, "pki", "token"), "rel-token\n");
        return {
          cluster: { "certificate-authority": "pki/ca.pem" },
          user: { "client-certificate": "pki/c.pem", "client-key": "./pki/k.pem", tokenFile: "pki/token" },
        };
      },
      tls: { ca: "REL-CA", cert: "REL-CERT", key: "REL-KEY", rejectUnauthorized: true },
      headers: { authorization: "Bearer rel-token" },
    },
    {
      reason: "data wins over a file field (client-go)",
      spec: () => ({ cluster: { "certificate-authority-data": b64("DATA"), "certificate-authority": "/does/not/exist" } }),
      tls: { ca: "DATA", rejectUnauthorized: true },
      headers: {},
    },
    {
      reason: "a static token becomes a bearer header",
      spec: () => ({ user: { token: "static-token" } }),
      tls: { rejectUnauthorized: true },
      headers: { authorization: "Bearer static-token" },
    },
    {
      reason: "tokenFile is read and trimmed, and wins over an inline token",
      spec: (dir: string) => ({ user: { token: "inline", tokenFile: write(join(dir, "tok"), "  file-token\n") } }),
      tls: { rejectUnauthorized: true },
      headers: { authorization: "Bearer file-token" },
    },
    {
      reason: "username/password become HTTP basic",
      spec: () => ({ user: { username: "admin", password: "s3cret" } }),
      tls: { rejectUnauthorized: true },
      headers: { authorization: `Basic ${b64("admin:s3cret")}` },
    },
    {
      reason: "insecure-skip-tls-verify turns verification off and drops the CA",
      spec: () => ({ cluster: { "insecure-skip-tls-verify": true, "certificate-authority-data": b64("CA") } }),
      tls: { rejectUnauthorized: false },
      headers: {},
    },
    {
      reason: "tls-server-name becomes the SNI/verification name",
      spec: () => ({ cluster: { "tls-server-name": "kubernetes.default" } }),
      tls: { servername: "kubernetes.default", rejectUnauthorized: true },
      headers: {},
    },
    {
      reason: "a context without a user is anonymous",
      spec: () => ({}),
      tls: { rejectUnauthorized: true },
      headers: {},
    },
    {
      reason: "`as` impersonates a user (client-node sets only this one)",
      spec: () => ({ user: { token: "admin-token", as: "jane" } }),
      tls: { rejectUnauthorized: true },
      headers: { authorization: "Bearer admin-token", "impersonate-user": "jane" },
    },
    {
      reason: "as-groups, as-uid and as-user-extra, which client-node drops, become Impersonate-* headers as client-go sends them",
      spec: () => ({
        user: {
          token: "admin-token",
          as: "jane",
          "as-uid": "1234",
          "as-groups": ["devs", "system:authenticated"],
          "as-user-extra": { "scopes.example/x y": ["a", "b"] },
        },
      }),
      tls: { rejectUnauthorized: true },
      headers: {
        authorization: "Bearer admin-token",
        "impersonate-user": "jane",
        "impersonate-uid": "1234",
        "impersonate-group": ["devs", "system:authenticated"],
        "impersonate-extra-scopes.example%2Fx%20y": ["a", "b"],
      },
    },
    {
      reason: "an oidc auth-provider's unexpired id-token is the bearer (client-node's authenticator)",
      spec: () => ({ user: { "auth-provider": { name: "oidc", config: { "id-token": OIDC_ID_TOKEN, "client-id": "k" } } } }),
      tls: { rejectUnauthorized: true },
      headers: { authorization: `Bearer ${OIDC_ID_TOKEN}` },
    },
  ])("$reason", async ({ spec, tls, headers }) => {
    const dir = freshDir();
    const path = write(join(dir, "config"), kubeconfig(spec(dir)));
    const config = loadKubeConfig({ kubeconfigPath: path, env: isolatedEnv(dir), inClusterRoot: noInCluster(dir) });
    expect(config.server).toBe("https://api.example:6443");
    expect(config.contextName).toBe("ctx");
    expect(await tlsAsText(config)).toEqual(tls);
    expect(await config.auth()).toEqual(headers);
  });

  it.each([
    { reason: "no proxy-url: direct connections", cluster: {}, proxyUrl: undefined },
    { reason: "an http proxy", cluster: { "proxy-url": "http://proxy.internal:3128" }, proxyUrl: "http://proxy.internal:3128" },
    { reason: "a socks5 proxy (undici speaks it)", cluster: { "proxy-url": "socks5://127.0.0.1:1080" }, proxyUrl: "socks5://127.0.0.1:1080" },
  ])("proxy-url: $reason", ({ cluster, proxyUrl }) => {
    const dir = freshDir();
    const config = loadKubeConfig({ kubeconfigPath: write(join(dir, "config"), kubeconfig({ cluster })), env: isolatedEnv(dir) });
    expect(config.proxyUrl).toBe(proxyUrl);
  });

  it("a context other than current-context can be chosen", async () => {
    const dir = freshDir();
    const path = write(
      join(dir, "config"),
      kubeconfig({
        clusters: [
          { name: "c", cluster: { server: "https://api.example:6443" } },
          { name: "other", cluster: { server: "https://other:1" } },
        ],
        users: [{ name: "u", user: { token: "other-token" } }],
        contexts: [
          { name: "ctx", context: { cluster: "c" } },
          { name: "elsewhere", context: { cluster: "other", user: "u" } },
        ],
      }),
    );
    const config = loadKubeConfig({ kubeconfigPath: path, context: "elsewhere", env: isolatedEnv(dir) });
    expect([config.server, config.contextName, await config.auth()]).toEqual(["https://other:1", "elsewhere", { authorization: "Bearer other-token" }]);
    expect(() => loadKubeConfig({ kubeconfigPath: path, context: "nowhere", env: isolatedEnv(dir) })).toThrow(/context "nowhere" is not defined/);
  });

  it("trims a trailing slash of the server and honours a server override", () => {
    const dir = freshDir();
    const path = write(join(dir, "config"), kubeconfig({ cluster: { server: "https://api.example:6443/" } }));
    expect(loadKubeConfig({ kubeconfigPath: path, env: isolatedEnv(dir) }).server).toBe("https://api.example:6443");
    expect(loadKubeConfig({ kubeconfigPath: path, env: isolatedEnv(dir), server: "https://127.0.0.1:9999/" }).server).toBe("https://127.0.0.1:9999");
  });

  it("re-reads a tokenFile at most once a minute, keeping the last good token if a re-read fails", async () => {
    const dir = freshDir();
    const tokenPath = write(join(dir, "tok"), "one");
    let now = 1_000_000;
    const config = loadKubeConfig({
      kubeconfigPath: write(join(dir, "config"), kubeconfig({ user: { tokenFile: tokenPath } })),
      env: isolatedEnv(dir),
      now: () => now,
    });
    write(tokenPath, "two");
    now += TOKEN_REREAD_MS - 1;
    expect(await config.auth(), "within the minute the cached token is used").toEqual({ authorization: "Bearer one" });
    now += 1;
    expect(await config.auth(), "after a minute the rotated token is read").toEqual({ authorization: "Bearer two" });
    rmSync(tokenPath);
    now += TOKEN_REREAD_MS;
    expect(await config.auth(), "a failed re-read keeps the last token").toEqual({ authorization: "Bearer two" });
  });
});

describe("loadKubeConfig: errors", () => {
  it.each([
    { reason: "no current-context set", spec: () => ({ currentContext: null }), message: /sets no current-context/ },
    { reason: "current-context names a missing context", spec: () => ({ currentContext: "elsewhere" }), message: /current-context "elsewhere" is not defined/ },
    {
      reason: "the context names an unknown cluster",
      spec: () => ({ contexts: [{ name: "ctx", context: { cluster: "nope" } }] }),
      message: /context "ctx" names unknown cluster "nope"/,
    },
    {
      reason: "the context names an unknown user",
      spec: () => ({ contexts: [{ name: "ctx", context: { cluster: "c", user: "ghost" } }] }),
      message: /context "ctx" names unknown user "ghost"/,
    },
    {
      reason: "a cluster without a server (client-node's check)",
      spec: () => ({ clusters: [{ name: "c", cluster: {} }] }),
      message: /clusters\[0\]\.cluster\.server is missing/,
    },
    {
      reason: "an unreadable certificate file is named",
      spec: () => ({ cluster: { "certificate-authority": "missing-ca.pem" } }),
      message: /certificate authority: cannot read .*missing-ca\.pem \(ENOENT\)/,
    },
    {
      reason: "a client certificate without its key",
      spec: () => ({ user: { "client-certificate-data": b64("CERT") } }),
      message: /needs both certificate and key/,
    },
    { reason: "basic and bearer at once are ambiguous", spec: () => ({ user: { username: "a", password: "b", token: "t" } }), message: /cannot both be set/ },
    {
      reason: "impersonated groups without a user (the API server would refuse them)",
      spec: () => ({ user: { token: "t", "as-groups": ["devs"] } }),
      message: /as-groups, as-uid and as-user-extra need "as"/,
    },
    {
      reason: "as-groups that is not a list",
      spec: () => ({ user: { token: "t", as: "jane", "as-groups": "devs" } }),
      message: /as-groups is not a list of strings/,
    },
    {
      reason: "a proxy scheme undici cannot speak",
      spec: () => ({ cluster: { "proxy-url": "ftp://proxy:21" } }),
      message: /proxy-url scheme "ftp:" is not supported/,
    },
    {
      reason: "a proxy-url that is not a URL, without repeating it (it may hold a password)",
      spec: () => ({ cluster: { "proxy-url": "http://user:pw@[bad" } }),
      message: /proxy-url is not a URL$/,
    },
  ])("$reason", ({ spec, message }) => {
    const dir = freshDir();
    const path = write(join(dir, "config"), kubeconfig(spec()));
    expect(() => loadKubeConfig({ kubeconfigPath: path, env: isolatedEnv(dir) })).toThrow(message);
  });

  it("an auth-provider client-node does not know fails on first use instead of sending requests anonymously", async () => {
    const dir = freshDir();
    const path = write(join(dir, "config"), kubeconfig({ user: { "auth-provider": { name: "acme", config: { secret: "x" } } } }));
    const config = loadKubeConfig({ kubeconfigPath: path, env: isolatedEnv(dir) });
    await expect(config.auth()).rejects.toThrow(/auth-provider "acme" gave no credentials/);
  });

  it("an explicit path that does not exist is an error, not a fallback", () => {
    const dir = freshDir();
    expect(() => loadKubeConfig({ kubeconfigPath: join(dir, "nope"), env: isolatedEnv(dir) })).toThrow(/kubeconfig .*nope does not exist/);
  });

  it("with nothing anywhere, the error lists every place looked at", () => {
    const dir = freshDir();
    expect(() => loadKubeConfig({ env: isolatedEnv(dir), inClusterRoot: noInCluster(dir) })).toThrow(
      /no Kubernetes configuration found.*KUBECONFIG.*KUBERNETES_SERVICE_HOST.*\.kube\/config/,
    );
  });

  it("a YAML error names the file but never quotes its content", () => {
    const dir = freshDir();
    const path = write(join(dir, "config"), "users:\n- name: u\n  user: {token: supersecret-token\n");
    let message = "";
    try {
      loadKubeConfig({ kubeconfigPath: path, env: isolatedEnv(dir) });
    } catch (error) {
      message = String(error);
    }
    expect(message).toContain(path);
    expect(message).not.toContain("supersecret");
  });
});

describe("loadKubeConfig: where the configuration comes from", () => {
  function setup() {
    const dir = freshDir();
    mkdirSync(join(dir, "home", ".kube"), { recursive: true });
    write(join(dir, "home", ".kube", "config"), kubeconfig({ cluster: { server: "https://home:1" } }));
    const sa = join(dir, "sa");
    mkdirSync(sa);
    write(join(sa, "token"), "sa-token-1\n");
    write(join(sa, "ca.crt"), "SA-CA");
    const a = write(
      join(dir, "a.yaml"),
      dump({
        clusters: [{ name: "shared", cluster: { server: "https://from-a:1" } }],
        contexts: [{ name: "ctx-b", context: { cluster: "shared" } }],
      }),
    );
    const b = write(
      join(dir, "b.yaml"),
      dump({
        "current-context": "ctx-b",
        clusters: [
          { name: "shared", cluster: { server: "https://from-b:1" } },
          { name: "only-b", cluster: { server: "https://only-b:1" } },
        ],
        contexts: [{ name: "ctx-b", context: { cluster: "only-b" } }],
      }),
    );
    const c = write(join(dir, "c.yaml"), dump({ "current-context": "ctx-c", contexts: [{ name: "ctx-c", context: { cluster: "only-b" } }] }));
    const explicit = write(join(dir, "explicit.yaml"), kubeconfig({ cluster: { server: "https://explicit:1" } }));
    const inClusterEnv = { KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "443" };
    return { dir, sa, a, b, c, explicit, inClusterEnv };
  }

  it.each([
    {
      reason: "an explicit path beats KUBECONFIG and in-cluster",
      pick: (s: ReturnType<typeof setup>) => ({ kubeconfigPath: s.explicit, env: { KUBECONFIG: s.a, ...s.inClusterEnv } }),
      server: "https://explicit:1",
    },
    {
      reason: "KUBECONFIG merge: the first file defining a name wins, current-context from the first file setting it",
      pick: (s: ReturnType<typeof setup>) => ({ env: { KUBECONFIG: `${s.a}:${s.b}:${s.c}` } }),
      // ctx-b comes from a.yaml (cluster "shared"), whose definition of "shared" also wins; b.yaml sets current-context.
      server: "https://from-a:1",
    },
    {
      reason: "KUBECONFIG order matters: listing b first makes its definitions win",
      pick: (s: ReturnType<typeof setup>) => ({ env: { KUBECONFIG: `${s.b}:${s.a}` } }),
      server: "https://only-b:1",
    },
    {
      reason: "KUBECONFIG skips files that do not exist and empty entries",
      pick: (s: ReturnType<typeof setup>) => ({ env: { KUBECONFIG: `${join(s.dir, "missing")}::${s.c}:${s.b}` } }),
      server: "https://only-b:1",
    },
    {
      reason: "KUBECONFIG beats in-cluster",
      pick: (s: ReturnType<typeof setup>) => ({ env: { KUBECONFIG: s.b, ...s.inClusterEnv } }),
      server: "https://only-b:1",
    },
    {
      reason: "in-cluster beats ~/.kube/config",
      pick: (s: ReturnType<typeof setup>) => ({ env: s.inClusterEnv }),
      server: "https://10.0.0.1:443",
    },
    {
      reason: "an IPv6 service host is bracketed",
      pick: (s: ReturnType<typeof setup>) => ({ env: { KUBERNETES_SERVICE_HOST: "fd00::1", KUBERNETES_SERVICE_PORT: "443" } }),
      server: "https://[fd00::1]:443",
    },
    {
      reason: "in-cluster needs both env vars: otherwise ~/.kube/config",
      pick: (s: ReturnType<typeof setup>) => ({ env: { KUBERNETES_SERVICE_HOST: "10.0.0.1" } }),
      server: "https://home:1",
    },
    {
      reason: "in-cluster env without a token file falls through to ~/.kube/config",
      pick: (s: ReturnType<typeof setup>) => ({ env: s.inClusterEnv, inClusterRoot: join(s.dir, "absent") }),
      server: "https://home:1",
    },
  ])("$reason", ({ pick, server }) => {
    const s = setup();
    const chosen = pick(s) as { kubeconfigPath?: string; env: NodeJS.ProcessEnv; inClusterRoot?: string };
    const config = loadKubeConfig({ inClusterRoot: s.sa, ...chosen, env: isolatedEnv(s.dir, chosen.env) });
    expect(config.server).toBe(server);
  });

  it("KUBECONFIG naming only missing files is an error, not a silent fallback", () => {
    const s = setup();
    expect(() => loadKubeConfig({ env: isolatedEnv(s.dir, { KUBECONFIG: join(s.dir, "x") }), inClusterRoot: s.sa })).toThrow(
      /no file named by KUBECONFIG exists/,
    );
  });

  it("in-cluster: CA from ca.crt, the token re-read at most once a minute as it rotates", async () => {
    const s = setup();
    let now = 5_000_000;
    const config = loadKubeConfig({ env: isolatedEnv(s.dir, s.inClusterEnv), inClusterRoot: s.sa, now: () => now });
    expect(config.source).toBe("in-cluster");
    expect(await tlsAsText(config)).toEqual({ ca: "SA-CA", rejectUnauthorized: true });
    expect(await config.auth()).toEqual({ authorization: "Bearer sa-token-1" });
    write(join(s.sa, "token"), "sa-token-2\n");
    now += 30_000;
    expect(await config.auth(), "still the cached token").toEqual({ authorization: "Bearer sa-token-1" });
    now += 30_000;
    expect(await config.auth(), "rotated token picked up").toEqual({ authorization: "Bearer sa-token-2" });
  });
});

describe("loadKubeConfig: exec credential plugin (run by client-node, prepared and guarded by us)", () => {
  const SECRET_PREFIX = "tok-SECRET";
  /**
   * A real plugin: counts its runs in $COUNT, records KUBERNETES_EXEC_INFO in $INFO, and prints an
   * ExecCredential whose token carries the run number and whose expiry is $EXPIRES (or none).
   */
  function plugin(dir: string, body?: string): string {
    const path = join(dir, "plugin.sh");
    writeFileSync(
      path,
      `#!/bin/sh
n=$(cat "$COUNT" 2>/dev/null || echo 0); n=$((n+1)); echo "$n" > "$COUNT"
printf '%s' "$KUBERNETES_EXEC_INFO" > "$INFO"
${
  body ??
  `if [ -n "$EXPIRES" ]; then exp=",\\"expirationTimestamp\\":\\"$EXPIRES\\""; else exp=""; fi
printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"token":"${SECRET_PREFIX}-%s"%s}}' "$API" "$n" "$exp"`
}
`,
    );
    chmodSync(path, 0o755);
    return path;
  }

  function execConfig(
    dir: string,
    opts: { command?: string; apiVersion?: string; expires?: string; body?: string; extra?: Record<string, unknown>; now?: () => number } = {},
  ) {
    const command = opts.command ?? plugin(dir, opts.body);
    const apiVersion = opts.apiVersion ?? "client.authentication.k8s.io/v1";
    const env = [
      { name: "COUNT", value: join(dir, "count") },
      { name: "INFO", value: join(dir, "info.json") },
      { name: "API", value: apiVersion },
      ...(opts.expires ? [{ name: "EXPIRES", value: opts.expires }] : []),
    ];
    const path = write(
      join(dir, "config"),
      kubeconfig({
        cluster: { "certificate-authority-data": b64("CA") },
        user: { exec: { apiVersion, command, args: [], env, interactiveMode: "Never", provideClusterInfo: true, ...opts.extra } },
      }),
    );
    const stderr: string[] = [];
    const load = () => loadKubeconfigFiles([path], { env: isolatedEnv(dir), now: opts.now ?? Date.now, writeStderr: (t) => stderr.push(t) });
    const runs = () => Number(readFileSync(join(dir, "count"), "utf8").trim() || 0);
    return { load, runs, stderr };
  }

  it("runs the plugin once for concurrent callers, keeps an unexpired credential across the minute's re-check, and tells the plugin about the cluster", async () => {
    const dir = freshDir();
    let now = 1_000_000;
    const { load, runs } = execConfig(dir, { expires: new Date(Date.now() + 3_600_000).toISOString(), now: () => now });
    const config = load();
    const [first, concurrent] = await Promise.all([config.auth(), config.auth()]);
    expect(first).toEqual({ authorization: `Bearer ${SECRET_PREFIX}-1` });
    expect(concurrent, "concurrent callers share one run").toEqual(first);
    now += TOKEN_REREAD_MS;
    expect(await config.auth(), "re-checked after a minute: client-node's cache holds the unexpired credential").toEqual(first);
    expect(runs()).toBe(1);
    const info = JSON.parse(readFileSync(join(dir, "info.json"), "utf8"));
    expect(info, "KUBERNETES_EXEC_INFO as client-go sets it (client-node sets none)").toEqual({
      apiVersion: "client.authentication.k8s.io/v1",
      kind: "ExecCredential",
      spec: { interactive: false, cluster: { server: "https://api.example:6443", "certificate-authority-data": b64("CA") } },
    });
  });

  it.each([
    { reason: "an expired credential", expires: "2000-01-01T00:00:00Z" },
    { reason: "a credential without expiry (client-node keeps none; client-go would keep it until a 401)", expires: undefined },
  ])("$reason is used for a minute, then the plugin runs again", async ({ expires }) => {
    const dir = freshDir();
    let now = 1_000_000;
    const { load, runs } = execConfig(dir, { apiVersion: "client.authentication.k8s.io/v1beta1", ...(expires ? { expires } : {}), now: () => now });
    const config = load();
    expect(await config.auth()).toEqual({ authorization: `Bearer ${SECRET_PREFIX}-1` });
    now += TOKEN_REREAD_MS - 1;
    expect(await config.auth()).toEqual({ authorization: `Bearer ${SECRET_PREFIX}-1` });
    now += 1;
    expect(await config.auth()).toEqual({ authorization: `Bearer ${SECRET_PREFIX}-2` });
    expect(runs()).toBe(2);
  });

  it("after a 401 the plugin runs again at once, even for an unexpired credential; concurrent refreshes share one run", async () => {
    const dir = freshDir();
    const { load, runs } = execConfig(dir, { expires: new Date(Date.now() + 3_600_000).toISOString() });
    const config = load();
    const refused = await config.auth();
    await Promise.all([config.refreshCredentials?.(refused), config.refreshCredentials?.(refused)]);
    expect(await config.auth()).toEqual({ authorization: `Bearer ${SECRET_PREFIX}-2` });
    expect(runs()).toBe(2);
    await config.refreshCredentials?.(refused);
    expect(runs(), "a refusal of credentials already replaced changes nothing").toBe(2);
  });

  it("a relative command path resolves against the kubeconfig's directory (client-go; client-node would use the working directory)", async () => {
    const dir = freshDir();
    plugin(dir);
    const { load } = execConfig(dir, { command: "./plugin.sh" });
    expect(await load().auth()).toEqual({ authorization: `Bearer ${SECRET_PREFIX}-1` });
  });

  it("a client certificate from the plugin is offered for TLS, without a bearer header", async () => {
    const dir = freshDir();
    const body = `printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"clientCertificateData":"CERT-%s","clientKeyData":"KEY-%s"}}' "$API" "$n" "$n"`;
    const config = execConfig(dir, { body }).load();
    expect(await config.auth()).toEqual({});
    const pair = await config.clientCertificate?.();
    expect(pair && { cert: pair.cert.toString(), key: pair.key.toString() }).toEqual({ cert: "CERT-1", key: "KEY-1" });
  });

  it.each([
    {
      reason: "a non-zero exit (its stderr goes to ours)",
      body: `printf '{"status":{"token":"${SECRET_PREFIX}-leak"}}'; echo "please log in" >&2; exit 3`,
      message: /exec credential plugin ".*plugin\.sh": exited with an error \(its stderr was written/,
      stderr: "please log in\n",
    },
    { reason: "output that is not JSON", body: `printf 'token=${SECRET_PREFIX}-leak'`, message: /plugin\.sh": output is not JSON/, stderr: undefined },
    {
      reason: "JSON that is not an ExecCredential",
      body: `printf '{"token":"${SECRET_PREFIX}-leak"}'`,
      message: /output is not an ExecCredential/,
      stderr: undefined,
    },
    {
      reason: "a status with no credential",
      body: `printf '{"apiVersion":"%s","kind":"ExecCredential","status":{}}' "$API"`,
      message: /status has neither token nor clientCertificateData/,
      stderr: undefined,
    },
  ])("fails clearly on $reason, naming the command and never the token", async ({ body, message, stderr }) => {
    const dir = freshDir();
    const run = execConfig(dir, { body });
    const error = await run
      .load()
      .auth()
      .then(
        () => undefined,
        (e: unknown) => e as Error,
      );
    expect(error?.message).toMatch(message);
    expect(`${error?.message} ${error?.stack} ${String(error?.cause ?? "")} ${run.stderr.join("")}`).not.toContain(SECRET_PREFIX);
    expect(run.stderr.join("") || undefined).toBe(stderr);
  });

  it("a missing command fails on first use with its install hint", async () => {
    const dir = freshDir();
    const { load } = execConfig(dir, { command: "/nonexistent/kube-login", extra: { installHint: "install the thing" } });
    await expect(load().auth()).rejects.toThrow(/"\/nonexistent\/kube-login": cannot start \(ENOENT\)\ninstall the thing/);
  });

  it.each([
    {
      reason: "an unsupported apiVersion",
      apiVersion: "client.authentication.k8s.io/v1alpha1",
      extra: undefined,
      message: /unsupported apiVersion "client\.authentication\.k8s\.io\/v1alpha1"/,
    },
    {
      reason: "interactiveMode Always, which needs a terminal",
      apiVersion: undefined,
      extra: { interactiveMode: "Always" },
      message: /interactiveMode Always needs a terminal/,
    },
  ])("refuses $reason when loading (client-node would run it anyway)", ({ extra, apiVersion, message }) => {
    const dir = freshDir();
    const { load } = execConfig(dir, { ...(extra ? { extra } : {}), ...(apiVersion ? { apiVersion } : {}) });
    expect(load).toThrow(message);
  });

  it("a failed run is not kept: the next call runs the plugin again", async () => {
    const dir = freshDir();
    const body = `if [ "$n" = 1 ]; then exit 1; fi
printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"token":"${SECRET_PREFIX}-%s"}}' "$API" "$n"`;
    const { load, runs } = execConfig(dir, { body });
    const config = load();
    await expect(config.auth()).rejects.toThrow(/exited with an error/);
    expect(await config.auth()).toEqual({ authorization: `Bearer ${SECRET_PREFIX}-2` });
    expect(runs()).toBe(2);
  });
});

/** The TLS material a connection would use: the cluster's side and the client certificate, as text. */
async function tlsAsText(config: KubeConnectionConfig): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const pair = await config.clientCertificate?.();
  for (const [k, v] of Object.entries({ ...config.tls, ...pair })) out[k] = Buffer.isBuffer(v) ? v.toString() : v;
  return out;
}

/** An unsigned JWT whose exp is `seconds` from now: client-node's oidc authenticator reads only exp. */
function jwtExpiringIn(seconds: number): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${part({ alg: "none" })}.${part({ exp: Math.floor(Date.now() / 1000 / 60) * 60 + seconds })}.sig`;
}
