import { describe, expect, it } from "vitest";
import { looksLikeObjectName, scrub, scrubString } from "./redact.ts";

const pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----";
const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0ZXN0dXNlcjEyMyJ9.c2lnbmF0dXJlc2lnbmF0dXJl";

describe("scrub: secret values go, Secret names stay", () => {
  it.each([
    // Values that are secret material: replaced whatever they look like.
    { why: "a password field", input: { password: "hunter2" }, hidden: "hunter2" },
    { why: "a Cloudflare API token field", input: { apiToken: "cf-token-abcdef" }, hidden: "cf-token-abcdef" },
    { why: "a ZPA client secret", input: { client_secret: "zpa-s3cret" }, hidden: "zpa-s3cret" },
    { why: "a PKCS#12 passphrase", input: { passphrase: "p12-pass" }, hidden: "p12-pass" },
    { why: "a provisioning key", input: { provisioningKey: "2|api.private.zscaler.com|abc" }, hidden: "2|api" },
    { why: "a Secret's data map", input: { data: { "tls.crt": "LS0tLS1CRUdJTg==" } }, hidden: "LS0tLS1CRUdJTg==" },
    { why: "tls.key inside data-like maps", input: { files: { "tls.key": "a2V5" } }, hidden: "a2V5" },
    { why: "a PEM key inside any string", input: { note: `got ${pem}` }, hidden: "MIIEvQ" },
    { why: "a JWT inside an error message", input: { err: new Error(`bad token ${jwt}`) }, hidden: "c2lnbmF0dXJl" },
    { why: "a bearer header value", input: { headers: { auth: "Bearer abcdefghijklmnop" } }, hidden: "abcdefghijklmnop" },
    { why: "an opaque hex value under the ambiguous `secret`", input: { secret: "3f9a1c0d5e7b2a4f6c8d0e1f2a3b4c5d" }, hidden: "3f9a1c0d5e7b" },
    { why: "a mixed-case value under `secret` is no object name", input: { secret: "S3cr3t-Value!" }, hidden: "S3cr3t" },
  ])("hides $why", ({ input, hidden }) => {
    const out = JSON.stringify(scrub(input));
    expect(out).not.toContain(hidden);
    expect(out).toMatch(/REDACTED/);
  });

  it.each([
    // Names of Secrets: what a person reading the log needs to find the object.
    { why: "a secretName field", input: { secretName: "web-tls" } },
    { why: "a `secret` field naming a Secret", input: { secret: "web-tls" } },
    { why: "a `secret` field as namespace/name", input: { secret: "apps/web-certbridge-key" } },
    { why: "the retained credentials copy's name (a UID inside)", input: { secret: "certbridge-retained-6f1c2e9a-0b3d-4c5e-8f7a-1b2c3d4e5f60" } },
    { why: "a reference object under `secret`", input: { secret: { name: "scm-creds", namespace: "apps" } } },
    { why: "a password Secret reference (the key names the field, not the value)", input: { passwordSecretRef: { name: "p12-pass", key: "password" } } },
    { why: "a credentials reference", input: { credentialsRef: { name: "cf-creds" } } },
    { why: "a queue key and a namespace", input: { key: "apps/web", namespace: "apps", name: "web-tls" } },
  ])("keeps $why", ({ input }) => {
    expect(scrub(input)).toEqual(input);
  });

  it("walks a Secret object under `secret`: its name stays, its data goes", () => {
    const out = scrub({ secret: { metadata: { name: "web-tls", namespace: "apps" }, data: { "tls.key": "a2V5" } } });
    expect(out).toEqual({ secret: { metadata: { name: "web-tls", namespace: "apps" }, data: "[REDACTED]" } });
  });

  it("leaves sentences that name Secrets alone", () => {
    const message = "Secret web-tls exists and is not managed by this ManagedCertificate; PKCS12 password Secret apps/p12-pass does not exist.";
    expect(scrubString(message)).toBe(message);
  });

  it.each([
    { value: "web-tls", name: true, why: "a DNS-1123 name" },
    { value: "apps/web-tls", name: true, why: "namespace/name" },
    { value: "a.b.c", name: true, why: "dots are allowed in Secret names" },
    { value: "Web-TLS", name: false, why: "upper case is never a Secret name" },
    { value: "abcdefghijklmnopqrstuvwxyz012345", name: false, why: "a 24+ run of letters and digits reads as a token" },
    { value: "-web", name: false, why: "names begin with a letter or digit" },
    { value: "a/b/c", name: false, why: "at most one namespace part" },
  ])("looksLikeObjectName($value) = $name ($why)", ({ value, name }) => {
    expect(looksLikeObjectName(value)).toBe(name);
  });
});
