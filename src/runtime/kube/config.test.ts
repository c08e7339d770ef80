import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dump } from "js-yaml";
import { afterAll, describe, expect, it } from "vitest";
import { type KubeConnectionConfig, loadKubeConfig, TOKEN_REREAD_MS } from "./config.ts";

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
        return { cluster: { "certificate-authority": "pki/ca.pem" }, user: { "client-certificate": "pki/c.pem", "client-key": "./pki/k.pem", tokenFile: "pki/token" } };
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
  ])("$reason", async ({ spec, tls, headers }) => {
    const dir = freshDir();
    const path = write(join(dir, "config"), kubeconfig(spec(dir)));
    const config = loadKubeConfig({ kubeconfigPath: path, env: isolatedEnv(dir), inClusterRoot: noInCluster(dir) });
    expect(config.server).toBe("https://api.example:6443");
    expect(config.contextName).toBe("ctx");
    expect(tlsAsText(config)).toEqual(tls);
    expect(await config.auth()).toEqual(headers);
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
    const config = loadKubeConfig({ kubeconfigPath: write(join(dir, "config"), kubeconfig({ user: { tokenFile: tokenPath } })), env: isolatedEnv(dir), now: () => now });
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
    { reason: "a cluster without a server", spec: () => ({ clusters: [{ name: "c", cluster: {} }] }), message: /cluster "c" has no server/ },
    { reason: "an unreadable certificate file is named", spec: () => ({ cluster: { "certificate-authority": "missing-ca.pem" } }), message: /certificate authority: cannot read .*missing-ca\.pem \(ENOENT\)/ },
    { reason: "a client certificate without its key", spec: () => ({ user: { "client-certificate-data": b64("CERT") } }), message: /needs both certificate and key/ },
    { reason: "basic and bearer at once are ambiguous", spec: () => ({ user: { username: "a", password: "b", token: "t" } }), message: /cannot both be set/ },
    { reason: "auth-provider plugins are not supported", spec: () => ({ user: { "auth-provider": { name: "oidc" } } }), message: /auth-provider "oidc" is not supported/ },
  ])("$reason", ({ spec, message }) => {
    const dir = freshDir();
    const path = write(join(dir, "config"), kubeconfig(spec()));
    expect(() => loadKubeConfig({ kubeconfigPath: path, env: isolatedEnv(dir) })).toThrow(message);
  });

  it("an explicit path that does not exist is an error, not a fallback", () => {
    const dir = freshDir();
    expect(() => loadKubeConfig({ kubeconfigPath: join(dir, "nope"), env: isolatedEnv(dir) })).toThrow(/kubeconfig .*nope does not exist/);
  });

  it("with nothing anywhere, the error lists every place looked at", () => {
    const dir = freshDir();
    expect(() => loadKubeConfig({ env: isolatedEnv(dir), inClusterRoot: noInCluster(dir) })).toThrow(/no Kubernetes configuration found.*KUBECONFIG.*KUBERNETES_SERVICE_HOST.*\.kube\/config/);
  });

  it("a YAML error names the file but never quotes its content", () => {
    const dir = freshDir();
    const path = write(join(dir, "config"), "users:\n- name: u\n  user: {token: supersecret-token\n");
    let message = "";
    try { loadKubeConfig({ kubeconfigPath: path, env: isolatedEnv(dir) }); } catch (error) { message = String(error); }
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
    const a = write(join(dir, "a.yaml"), dump({
      clusters: [{ name: "shared", cluster: { server: "https://from-a:1" } }],
      contexts: [{ name: "ctx-b", context: { cluster: "shared" } }],
    }));
    const b = write(join(dir, "b.yaml"), dump({
      "current-context": "ctx-b",
      clusters: [{ name: "shared", cluster: { server: "https://from-b:1" } }, { name: "only-b", cluster: { server: "https://only-b:1" } }],
      contexts: [{ name: "ctx-b", context: { cluster: "only-b" } }],
    }));
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
    expect(() => loadKubeConfig({ env: isolatedEnv(s.dir, { KUBECONFIG: join(s.dir, "x") }), inClusterRoot: s.sa })).toThrow(/no file named by KUBECONFIG exists/);
  });

  it("in-cluster: CA from ca.crt, the token re-read at most once a minute as it rotates", async () => {
    const s = setup();
    let now = 5_000_000;
    const config = loadKubeConfig({ env: isolatedEnv(s.dir, s.inClusterEnv), inClusterRoot: s.sa, now: () => now });
    expect(config.source).toBe("in-cluster");
    expect(tlsAsText(config)).toEqual({ ca: "SA-CA", rejectUnauthorized: true });
    expect(await config.auth()).toEqual({ authorization: "Bearer sa-token-1" });
    write(join(s.sa, "token"), "sa-token-2\n");
    now += 30_000;
    expect(await config.auth(), "still the cached token").toEqual({ authorization: "Bearer sa-token-1" });
    now += 30_000;
    expect(await config.auth(), "rotated token picked up").toEqual({ authorization: "Bearer sa-token-2" });
  });
});

describe("loadKubeConfig: exec credential plugin", () => {
  const SECRET_PREFIX = "tok-SECRET";
  /**
   * A real plugin: counts its runs in $COUNT, records KUBERNETES_EXEC_INFO in $INFO, and prints an
   * ExecCredential whose token carries the run number and whose expiry is $EXPIRES (or none).
   */
  function plugin(dir: string, body?: string): string {
    const path = join(dir, "plugin.sh");
    writeFileSync(path, `#!/bin/sh
n=$(cat "$COUNT" 2>/dev/null || echo 0); n=$((n+1)); echo "$n" > "$COUNT"
printf '%s' "$KUBERNETES_EXEC_INFO" > "$INFO"
${body ?? `if [ -n "$EXPIRES" ]; then exp=",\\"expirationTimestamp\\":\\"$EXPIRES\\""; else exp=""; fi
printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"token":"${SECRET_PREFIX}-%s"%s}}' "$API" "$n" "$exp"`}
`);
    chmodSync(path, 0o755);
    return path;
  }

  function execConfig(dir: string, opts: { command?: string; apiVersion?: string; expires?: string; body?: string; extra?: Record<string, unknown>; now?: () => number } = {}) {
    const command = opts.command ?? plugin(dir, opts.body);
    const apiVersion = opts.apiVersion ?? "client.authentication.k8s.io/v1";
    const env = [
      { name: "COUNT", value: join(dir, "count") },
      { name: "INFO", value: join(dir, "info.json") },
      { name: "API", value: apiVersion },
      ...(opts.expires ? [{ name: "EXPIRES", value: opts.expires }] : []),
    ];
    const path = write(join(dir, "config"), kubeconfig({
      cluster: { "certificate-authority-data": b64("CA") },
      user: { exec: { apiVersion, command, args: [], env, interactiveMode: "Never", provideClusterInfo: true, ...opts.extra } },
    }));
    const config = loadKubeConfig({ kubeconfigPath: path, env: isolatedEnv(dir), ...(opts.now ? { now: opts.now } : {}) });
    const runs = () => Number(readFileSync(join(dir, "count"), "utf8").trim() || 0);
    return { config, runs };
  }

  it("caches the token until expirationTimestamp, then runs the plugin again", async () => {
    const dir = freshDir();
    const expiresAt = Date.now() + 3_600_000;
    let now = Date.now();
    const { config, runs } = execConfig(dir, { expires: new Date(expiresAt).toISOString(), now: () => now });
    const [first, concurrent] = await Promise.all([config.auth(), config.auth()]);
    expect(first).toEqual({ authorization: `Bearer ${SECRET_PREFIX}-1` });
    expect(concurrent, "concurrent callers share one run").toEqual(first);
    expect(await config.auth()).toEqual(first);
    expect(runs(), "cached while unexpired").toBe(1);
    now = expiresAt + 1;
    expect(await config.auth(), "expired: the plugin ran again").toEqual({ authorization: `Bearer ${SECRET_PREFIX}-2` });
    expect(runs()).toBe(2);
    const info = JSON.parse(readFileSync(join(dir, "info.json"), "utf8"));
    expect(info).toEqual({
      apiVersion: "client.authentication.k8s.io/v1",
      kind: "ExecCredential",
      spec: { interactive: false, cluster: { server: "https://api.example:6443", "certificate-authority-data": b64("CA") } },
    });
  });

  it("v1beta1 works, and a credential without expiry is kept", async () => {
    const dir = freshDir();
    let now = Date.now();
    const { config, runs } = execConfig(dir, { apiVersion: "client.authentication.k8s.io/v1beta1", now: () => now });
    expect(await config.auth()).toEqual({ authorization: `Bearer ${SECRET_PREFIX}-1` });
    now += 10 * 365 * 86_400_000;
    await config.auth();
    expect(runs()).toBe(1);
  });

  it("a relative command path resolves against the kubeconfig's directory", async () => {
    const dir = freshDir();
    plugin(dir);
    const { config } = execConfig(dir, { command: "./plugin.sh" });
    expect(await config.auth()).toEqual({ authorization: `Bearer ${SECRET_PREFIX}-1` });
  });

  it("a client certificate from the plugin is offered for TLS, without a bearer header", async () => {
    const dir = freshDir();
    const body = `printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"clientCertificateData":"CERT-%s","clientKeyData":"KEY-%s"}}' "$API" "$n" "$n"`;
    const { config } = execConfig(dir, { body });
    expect(await config.auth()).toEqual({});
    const pair = await config.clientCertificate?.();
    expect(pair && { cert: pair.cert.toString(), key: pair.key.toString() }).toEqual({ cert: "CERT-1", key: "KEY-1" });
  });

  it.each([
    { reason: "a non-zero exit", body: `printf '{"status":{"token":"${SECRET_PREFIX}-leak"}}'; exit 3`, message: /exec credential plugin ".*plugin\.sh": exit code 3/ },
    { reason: "output that is not JSON", body: `printf 'token=${SECRET_PREFIX}-leak'`, message: /plugin\.sh": output is not JSON/ },
    { reason: "JSON that is not an ExecCredential", body: `printf '{"token":"${SECRET_PREFIX}-leak"}'`, message: /output is not an ExecCredential/ },
    {
      reason: "a different apiVersion than configured",
      body: `printf '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"${SECRET_PREFIX}-leak"}}'`,
      message: /returned apiVersion "client\.authentication\.k8s\.io\/v1beta1", configured "client\.authentication\.k8s\.io\/v1"/,
    },
    {
      reason: "a bad expirationTimestamp",
      body: `printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"token":"${SECRET_PREFIX}-leak","expirationTimestamp":"soon"}}' "$API"`,
      message: /expirationTimestamp "soon" is not a timestamp/,
    },
    {
      reason: "a status with no credential",
      body: `printf '{"apiVersion":"%s","kind":"ExecCredential","status":{}}' "$API"`,
      message: /status has neither token nor clientCertificateData/,
    },
  ])("fails clearly on $reason, naming the command and never the token", async ({ body, message }) => {
    const dir = freshDir();
    const { config } = execConfig(dir, { body });
    const error = await config.auth().then(() => undefined, (e: unknown) => e as Error);
    expect(error?.message).toMatch(message);
    expect(`${error?.message} ${error?.stack} ${String(error?.cause ?? "")}`).not.toContain(SECRET_PREFIX);
  });

  it.each([
    { reason: "a missing command, with its install hint", extra: { installHint: "install the thing" }, command: "/nonexistent/kube-login", message: /"\/nonexistent\/kube-login": cannot start \(ENOENT\)\ninstall the thing/ },
    { reason: "an unsupported apiVersion", apiVersion: "client.authentication.k8s.io/v1alpha1", message: /unsupported apiVersion "client\.authentication\.k8s\.io\/v1alpha1"/ },
    { reason: "interactiveMode Always, which needs a terminal", extra: { interactiveMode: "Always" }, message: /interactiveMode Always needs a terminal/ },
  ])("refuses $reason", async ({ extra, command, apiVersion, message }) => {
    const dir = freshDir();
    const { config } = execConfig(dir, { ...(extra ? { extra } : {}), ...(command ? { command } : {}), ...(apiVersion ? { apiVersion } : {}) });
    await expect(config.auth()).rejects.toThrow(message);
  });

  it("a failed run is not cached: the next call runs the plugin again", async () => {
    const dir = freshDir();
    const body = `if [ "$n" = 1 ]; then exit 1; fi
printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"token":"${SECRET_PREFIX}-%s"}}' "$API" "$n"`;
    const { config, runs } = execConfig(dir, { body });
    await expect(config.auth()).rejects.toThrow(/exit code 1/);
    expect(await config.auth()).toEqual({ authorization: `Bearer ${SECRET_PREFIX}-2` });
    expect(runs()).toBe(2);
  });
});

function tlsAsText(config: KubeConnectionConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config.tls)) out[k] = Buffer.isBuffer(v) ? v.toString() : v;
  return out;
}
