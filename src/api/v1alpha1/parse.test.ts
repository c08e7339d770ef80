import { describe, expect, it } from "vitest";
import { matchesLabelSelector, parseDuration, parseResource, problemsMessage, requestedLifetimeMs, vendorOf } from "./index.ts";

// Builders: a valid object per kind, changed per case through a spec patch.
type Spec = Record<string, unknown>;
const mcert = (spec: Spec = {}) => ({
  apiVersion: "certbridge.dev/v1alpha1",
  kind: "ManagedCertificate",
  metadata: { name: "web", namespace: "default" },
  spec: { connectionRef: { name: "cf" }, secretName: "web-tls", dnsNames: ["web.example.com"], cloudflare: {}, ...spec },
});
const pkey = (spec: Spec = {}) => ({
  apiVersion: "certbridge.dev/v1alpha1",
  kind: "ProvisioningKey",
  metadata: { name: "k", namespace: "default" },
  spec: { connectionRef: { name: "zpa" }, associationType: "CONNECTOR_GRP", group: { name: "g" }, maxUsage: 2, secretName: "k", ...spec },
});
const vconn = (spec: Spec = {}) => ({
  apiVersion: "certbridge.dev/v1alpha1",
  kind: "VendorConnection",
  metadata: { name: "c", namespace: "default" },
  spec: { sectigo: { customerUri: "acme" }, credentialsRef: { name: "creds" }, ...spec },
});
const cvconn = (spec: Spec = {}) => ({
  apiVersion: "certbridge.dev/v1alpha1",
  kind: "ClusterVendorConnection",
  metadata: { name: "c" },
  spec: { zpa: { cloud: "PRODUCTION", customerId: "1" }, credentialsRef: { name: "creds", namespace: "ops" }, namespaceSelector: {}, ...spec },
});

describe("parseResource accepts", () => {
  it.each([
    { reason: "a minimal Cloudflare certificate", obj: mcert() },
    { reason: "an RSA 4096 PKCS1 key", obj: mcert({ privateKey: { algorithm: "RSA", size: 4096, encoding: "PKCS1" } }) },
    { reason: "Ed25519 without size through Cloudflare", obj: mcert({ privateKey: { algorithm: "Ed25519" } }) },
    { reason: "renewBefore shorter than validityDays", obj: mcert({ renewBefore: "240h", cloudflare: { validityDays: 30 } }) },
    { reason: "renewBefore with no lifetime given (vendor default decides)", obj: mcert({ renewBefore: "240h" }) },
    { reason: "IPv6 and IPv4 SANs", obj: mcert({ dnsNames: undefined, ipAddresses: ["10.0.0.1", "2001:db8::1"] }) },
    {
      reason: "a Sectigo client certificate with its person",
      obj: mcert({
        cloudflare: undefined,
        dnsNames: undefined,
        emailAddresses: ["a@example.com"],
        sectigo: { type: "Client", profile: { id: 1 }, person: { email: "a@example.com", firstName: "A", lastName: "B" } },
      }),
    },
    { reason: "a ProvisioningKey adopting by name", obj: pkey({ managementPolicy: "ObserveOnly", name: "existing" }) },
    { reason: "a group by 64-bit id", obj: pkey({ group: { id: "217306507451045314" } }) },
    { reason: "a namespaced Sectigo connection", obj: vconn() },
    {
      reason: "ZPA OneAPI with a token URL",
      obj: vconn({ sectigo: undefined, zpa: { authMode: "OneAPI", tokenUrl: "https://t.example/token", customerId: "7" } }),
    },
    { reason: "a rate limit at ZPA's published ceiling", obj: cvconn({ rateLimit: { requestsPerMinute: 120, writesPerMinute: 60 } }) },
    { reason: "a cluster connection with a selector", obj: cvconn({ namespaceSelector: { matchExpressions: [{ key: "team", operator: "Exists" }] } }) },
  ])("$reason", ({ obj }) => {
    const result = parseResource(JSON.parse(JSON.stringify(obj)));
    expect(result.ok ? [] : result.problems).toEqual([]);
  });
});

describe("parseResource rejects, saying where and why", () => {
  it.each([
    { reason: "no vendor block", obj: mcert({ cloudflare: undefined }), problem: "spec: exactly one vendor block (sectigo or cloudflare) must be set" },
    {
      reason: "two vendor blocks",
      obj: mcert({ sectigo: { type: "SSL", profile: { id: 1 } } }),
      problem: "spec: exactly one vendor block (sectigo or cloudflare) must be set",
    },
    { reason: "nothing to certify", obj: mcert({ dnsNames: undefined }), problem: "spec: at least one of commonName" },
    { reason: "renewBefore ≥ duration", obj: mcert({ duration: "24h", renewBefore: "1440m" }), problem: "spec.renewBefore: renewBefore must be less than" },
    { reason: "a duration in days", obj: mcert({ duration: "90d" }), problem: "spec.duration: must be a duration such as" },
    { reason: "RSA 1024", obj: mcert({ privateKey: { size: 1024 } }), problem: "spec.privateKey.size: RSA key size must be 2048, 3072 or 4096" },
    { reason: "ECDSA 521", obj: mcert({ privateKey: { algorithm: "ECDSA", size: 521 } }), problem: "spec.privateKey.size: ECDSA key size must be 256 or 384" },
    { reason: "Ed25519 with a size", obj: mcert({ privateKey: { algorithm: "Ed25519", size: 256 } }), problem: "Ed25519 keys have no size" },
    {
      reason: "PKCS1 with ECDSA",
      obj: mcert({ privateKey: { algorithm: "ECDSA", encoding: "PKCS1" } }),
      problem: "spec.privateKey.encoding: PKCS1 encoding is only defined for RSA keys",
    },
    { reason: "duplicate SANs", obj: mcert({ dnsNames: ["a.example.com", "a.example.com"] }), problem: "spec.dnsNames: must not contain duplicates" },
    { reason: "a bad IP", obj: mcert({ ipAddresses: ["1.2.3"] }), problem: "spec.ipAddresses[0]: must be an IPv4 or IPv6 address" },
    {
      reason: "a client certificate without its person",
      obj: mcert({ cloudflare: undefined, sectigo: { type: "Client", profile: { name: "p" } } }),
      problem: "spec.sectigo.person: sectigo.person is required for type Client",
    },
    {
      reason: "PKCS12 without a password",
      obj: mcert({ additionalOutputFormats: [{ type: "PKCS12" }] }),
      problem: "spec.additionalOutputFormats[0].passwordSecretRef: passwordSecretRef is required for PKCS12",
    },
    { reason: "maxUsage 0", obj: pkey({ maxUsage: 0 }), problem: "spec.maxUsage:" },
    { reason: "a group with neither id nor name", obj: pkey({ group: {} }), problem: "spec.group: set exactly one of id and name" },
    { reason: "a 64-bit id as a number", obj: pkey({ group: { id: 217306507451045314 } }), problem: "spec.group.id:" },
    {
      reason: "ObserveOnly without a name",
      obj: pkey({ managementPolicy: "ObserveOnly" }),
      problem: "spec.name: name is required with managementPolicy ObserveOnly",
    },
    { reason: "a connection with two vendors", obj: vconn({ cloudflare: { zoneId: "0".repeat(32) } }), problem: "spec: exactly one vendor block" },
    { reason: "a CA bundle that is not PEM", obj: vconn({ caBundle: "hello" }), problem: "spec.caBundle: caBundle must hold PEM certificates" },
    {
      reason: "both CA bundle forms",
      obj: vconn({ caBundle: "-----BEGIN CERTIFICATE-----", caBundleSecretRef: { name: "x" } }),
      problem: "set at most one of caBundle",
    },
    {
      reason: "Sectigo over its polite ceiling",
      obj: vconn({ rateLimit: { requestsPerMinute: 301 } }),
      problem: "spec.rateLimit: rateLimit exceeds sectigo's published limit",
    },
    { reason: "issuance budget on ZPA", obj: cvconn({ issuanceBudget: {} }), problem: "spec.issuanceBudget: issuanceBudget applies to certificate vendors" },
    { reason: "cluster credentials without namespace", obj: cvconn({ credentialsRef: { name: "creds" } }), problem: "spec.credentialsRef.namespace:" },
    { reason: "cluster connection without selector", obj: cvconn({ namespaceSelector: undefined }), problem: "spec.namespaceSelector:" },
    {
      reason: "Exists with values",
      obj: cvconn({ namespaceSelector: { matchExpressions: [{ key: "k", operator: "Exists", values: ["v"] }] } }),
      problem: "spec.namespaceSelector.matchExpressions[0]: values must be non-empty for In and NotIn",
    },
    {
      reason: "an unknown kind",
      obj: { kind: "Certificate" },
      problem:
        'kind: expected one of ManagedCertificate, ProvisioningKey, VendorConnection, ClusterVendorConnection, VendorIssuer, ClusterVendorIssuer, got "Certificate"',
    },
    { reason: "not an object", obj: "hello", problem: "kind: expected one of" },
  ])("$reason", ({ obj, problem }) => {
    const result = parseResource(JSON.parse(JSON.stringify(obj)));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems.join("\n")).toContain(problem);
  });
});

describe("defaults", () => {
  it("fill in what the API server would default", () => {
    const result = parseResource(mcert());
    if (!result.ok || result.value.kind !== "ManagedCertificate") throw new Error(String(!result.ok && result.problems));
    expect(result.value.spec.connectionRef.kind).toBe("VendorConnection");
    expect(result.value.spec.privateKey).toEqual({ algorithm: "RSA", encoding: "PKCS8", rotationPolicy: "Always" });
    expect(result.value.spec.revocationPolicy).toEqual({ onDelete: "Retain", superseded: "Retain" });
    expect(result.value.spec.secretPolicy).toEqual({ onDelete: "Retain" });
  });

  it("ProvisioningKey: enabled, Secret key, policies and rotation", () => {
    const result = parseResource(pkey());
    if (!result.ok || result.value.kind !== "ProvisioningKey") throw new Error("expected a ProvisioningKey");
    const { enabled, secretKey, deletionPolicy, managementPolicy, rotation } = result.value.spec;
    expect({ enabled, secretKey, deletionPolicy, managementPolicy, rotation }).toEqual({
      enabled: true,
      secretKey: "provisioningKey",
      deletionPolicy: "Delete",
      managementPolicy: "Manage",
      rotation: 0,
    });
  });
});

describe("helpers", () => {
  it.each([
    ["2160h", 2160 * 3_600_000],
    ["1h30m", 5_400_000],
    ["1.5h", 5_400_000],
    ["500ms", 500],
    ["90d", undefined],
    ["", undefined],
    ["h", undefined],
  ])("parseDuration(%j) = %j", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    { reason: "duration wins", spec: { duration: "48h", cloudflare: { validityDays: 5 } }, ms: 48 * 3_600_000 },
    { reason: "Cloudflare days", spec: { cloudflare: { validityDays: 2 } }, ms: 2 * 86_400_000 },
    { reason: "Sectigo term", spec: { sectigo: { term: 365 } }, ms: 365 * 86_400_000 },
    { reason: "vendor default", spec: { cloudflare: {} }, ms: undefined },
  ])("requestedLifetimeMs: $reason", ({ spec, ms }) => {
    expect(requestedLifetimeMs(spec)).toBe(ms);
  });

  it.each([
    { reason: "empty selector matches everything", selector: {}, labels: {}, match: true },
    { reason: "matchLabels must all match", selector: { matchLabels: { a: "1", b: "2" } }, labels: { a: "1" }, match: false },
    { reason: "In", selector: { matchExpressions: [{ key: "env", operator: "In" as const, values: ["prod"] }] }, labels: { env: "prod" }, match: true },
    {
      reason: "NotIn admits a missing key",
      selector: { matchExpressions: [{ key: "env", operator: "NotIn" as const, values: ["prod"] }] },
      labels: {},
      match: true,
    },
    { reason: "Exists", selector: { matchExpressions: [{ key: "team", operator: "Exists" as const }] }, labels: { other: "x" }, match: false },
    { reason: "DoesNotExist", selector: { matchExpressions: [{ key: "team", operator: "DoesNotExist" as const }] }, labels: { team: "x" }, match: false },
  ])("matchesLabelSelector: $reason", ({ selector, labels, match }) => {
    expect(matchesLabelSelector(selector, labels as Record<string, string>)).toBe(match);
  });

  it("problemsMessage bounds the condition message", () => {
    expect(problemsMessage(["a", "b", "c"], 2)).toBe("a; b; and 1 more");
    expect(problemsMessage(["a"])).toBe("a");
  });

  it("vendorOf names the block that is set", () => {
    expect(vendorOf({ cloudflare: {} })).toBe("cloudflare");
    expect(vendorOf({})).toBeUndefined();
  });
});
