import type { Cluster, User } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import {
  type AppliedOptions,
  NO_IMPERSONATION,
  checkProxyUrl,
  checkUser,
  clusterTls,
  credentialsFromApplied,
  impersonationHeaders,
  impersonationOf,
} from "./kubeconfig-mapping.ts";

const label = 'kubeconfig test, context "ctx"';
const asText = (v: unknown): unknown => (Buffer.isBuffer(v) ? v.toString() : v);

describe("credentialsFromApplied: what client-node applied → what we send", () => {
  it.each<{ reason: string; applied: AppliedOptions; headers: Record<string, unknown>; cert?: string; key?: string }>([
    { reason: "nothing applied: anonymous", applied: {}, headers: {} },
    {
      reason: "a bearer header keeps its value, its name lower-cased",
      applied: { headers: { Authorization: "Bearer abc" } },
      headers: { authorization: "Bearer abc" },
    },
    {
      reason: "a token read from a file ends in a newline, which a header cannot carry",
      applied: { headers: { Authorization: "Bearer abc\n" } },
      headers: { authorization: "Bearer abc" },
    },
    {
      reason: "basic auth arrives as `auth`, which node's https would turn into a header",
      applied: { auth: "admin:s3cret" },
      headers: { authorization: `Basic ${Buffer.from("admin:s3cret").toString("base64")}` },
    },
    {
      reason: "client-node's Impersonate-User is dropped: impersonation comes from one rule",
      applied: { headers: { "Impersonate-User": "jane" } },
      headers: {},
    },
    { reason: "a list header stays a list", applied: { headers: { "X-Multi": ["a", "b"] } }, headers: { "x-multi": ["a", "b"] } },
    { reason: "an exec plugin's PEM strings become the client certificate", applied: { cert: "CERT", key: "KEY" }, headers: {}, cert: "CERT", key: "KEY" },
    { reason: "certificate files arrive as buffers", applied: { cert: Buffer.from("C"), key: Buffer.from("K") }, headers: {}, cert: "C", key: "K" },
  ])("$reason", ({ applied, headers, cert, key }) => {
    const out = credentialsFromApplied(applied, NO_IMPERSONATION, label);
    expect(out.headers).toEqual(headers);
    expect(asText(out.clientCertificate?.cert)).toBe(cert);
    expect(asText(out.clientCertificate?.key)).toBe(key);
  });

  it("impersonation headers are added beside the credential", () => {
    const out = credentialsFromApplied({ headers: { Authorization: "Bearer t" } }, { user: "jane", groups: ["g1"], extra: {} }, label);
    expect(out.headers).toEqual({ authorization: "Bearer t", "impersonate-user": "jane", "impersonate-group": ["g1"] });
  });

  it("a certificate without its key is an error, not a TLS failure later", () => {
    expect(() => credentialsFromApplied({ cert: "CERT" }, NO_IMPERSONATION, label)).toThrow(/needs both certificate and key/);
  });
});

describe("impersonation: as, as-uid, as-groups, as-user-extra", () => {
  it.each([
    { reason: "no impersonation", raw: {}, headers: {} },
    { reason: "a user alone", raw: { as: "jane" }, headers: { "impersonate-user": "jane" } },
    { reason: "an empty `as` is no impersonation (client-go)", raw: { as: "" }, headers: {} },
    {
      reason: "groups: one header per group, never comma-joined (a comma-joined value is one group)",
      raw: { as: "jane", "as-groups": ["a", "b"] },
      headers: { "impersonate-user": "jane", "impersonate-group": ["a", "b"] },
    },
    { reason: "uid", raw: { as: "jane", "as-uid": "42" }, headers: { "impersonate-user": "jane", "impersonate-uid": "42" } },
    {
      reason: "extra keys are percent-escaped outside token characters, as client-go escapes them",
      raw: { as: "jane", "as-user-extra": { "example.com/scope": ["x"], "ä%": ["y"], empty: [] } },
      headers: { "impersonate-user": "jane", "impersonate-extra-example.com%2Fscope": ["x"], "impersonate-extra-%C3%A4%25": ["y"] },
    },
  ])("$reason", ({ raw, headers }) => {
    expect(impersonationHeaders(impersonationOf(raw, label))).toEqual(headers);
  });

  it.each([
    { reason: "groups without a user: the API server refuses them", raw: { "as-groups": ["a"] }, message: /need "as"/ },
    { reason: "a uid without a user", raw: { "as-uid": "1" }, message: /need "as"/ },
    { reason: "groups as a string", raw: { as: "jane", "as-groups": "a,b" }, message: /as-groups is not a list of strings/ },
    { reason: "extra that is a list", raw: { as: "jane", "as-user-extra": ["x"] }, message: /as-user-extra is not a mapping/ },
    { reason: "an extra whose value is not a list", raw: { as: "jane", "as-user-extra": { k: "v" } }, message: /as-user-extra\.k is not a list of strings/ },
  ])("refuses $reason", ({ raw, message }) => {
    expect(() => impersonationOf(raw, label)).toThrow(message);
  });
});

describe("clusterTls: the cluster's side of TLS from client-node's Cluster", () => {
  const cluster = (fields: Partial<Cluster>): Cluster => ({ name: "c", server: "https://api:6443", skipTLSVerify: false, ...fields });
  const files: Record<string, string> = { "/pki/ca.pem": "CA-FILE" };
  const readFile = (p: string): Buffer => {
    if (!(p in files)) throw Object.assign(new Error(`ENOENT: ${p}`), { code: "ENOENT" });
    return Buffer.from(files[p]!);
  };

  it.each([
    { reason: "inline CA data is base64", fields: { caData: Buffer.from("CA").toString("base64") }, tls: { ca: "CA", rejectUnauthorized: true } },
    { reason: "a CA file is read", fields: { caFile: "/pki/ca.pem" }, tls: { ca: "CA-FILE", rejectUnauthorized: true } },
    {
      reason: "data wins over a file (client-go)",
      fields: { caData: Buffer.from("DATA").toString("base64"), caFile: "/missing" },
      tls: { ca: "DATA", rejectUnauthorized: true },
    },
    {
      reason: "insecure-skip-tls-verify: no verification, so no CA (an unreadable one is not read)",
      fields: { skipTLSVerify: true, caFile: "/missing" },
      tls: { rejectUnauthorized: false },
    },
    {
      reason: "tls-server-name names the certificate to expect",
      fields: { tlsServerName: "kubernetes.default" },
      tls: { servername: "kubernetes.default", rejectUnauthorized: true },
    },
    { reason: "no CA: the system roots", fields: {}, tls: { rejectUnauthorized: true } },
  ])("$reason", ({ fields, tls }) => {
    const out = clusterTls(cluster(fields), readFile, label);
    expect(Object.fromEntries(Object.entries(out).map(([k, v]) => [k, asText(v)]))).toEqual(tls);
  });

  it("an unreadable CA file is named with its error code", () => {
    expect(() => clusterTls(cluster({ caFile: "/missing" }), readFile, label)).toThrow(/certificate authority: cannot read \/missing \(ENOENT\)/);
  });
});

describe("checkProxyUrl", () => {
  it.each([
    { reason: "none", url: undefined, out: undefined },
    { reason: "empty is none", url: "", out: undefined },
    { reason: "http", url: "http://proxy:3128", out: "http://proxy:3128" },
    { reason: "https", url: "https://proxy:443", out: "https://proxy:443" },
    { reason: "socks5", url: "socks5://proxy:1080", out: "socks5://proxy:1080" },
  ])("accepts $reason", ({ url, out }) => {
    expect(checkProxyUrl(url, label)).toBe(out);
  });

  it.each([
    { reason: "a scheme undici's ProxyAgent cannot speak", url: "socks4://proxy:1080", message: /scheme "socks4:" is not supported/ },
    {
      reason: "not a URL, and the message does not repeat it (it may carry a password)",
      url: "http://u:secret@[x",
      message: /^kubeconfig test, context "ctx": proxy-url is not a URL$/,
    },
  ])("refuses $reason", ({ url, message }) => {
    expect(() => checkProxyUrl(url, label)).toThrow(message);
  });
});

describe("checkUser: what client-node does not check", () => {
  const user = (fields: Partial<User>): User => ({ name: "u", ...fields });
  it.each([
    { reason: "a certificate with its key", fields: { certData: "C", keyData: "K" }, raw: {}, message: undefined },
    { reason: "a certificate file without a key", fields: { certFile: "/c.pem" }, raw: {}, message: /needs both certificate and key/ },
    { reason: "a key without a certificate", fields: { keyData: "K" }, raw: {}, message: /needs both certificate and key/ },
    { reason: "basic auth and a token", fields: { username: "a", password: "b", token: "t" }, raw: {}, message: /cannot both be set/ },
    {
      reason: "basic auth and a tokenFile (client-node does not read tokenFile; we do)",
      fields: { username: "a" },
      raw: { tokenFile: "/t" },
      message: /cannot both be set/,
    },
    { reason: "a token alone", fields: { token: "t" }, raw: {}, message: undefined },
  ])("$reason", ({ fields, raw, message }) => {
    const check = () => checkUser(user(fields), raw, label);
    if (message) expect(check).toThrow(message);
    else expect(check).not.toThrow();
  });
});
