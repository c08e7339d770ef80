// The zod twin of the root CEL rule: spec.secretName must not be the resource's own key Secret.
import { describe, expect, it } from "vitest";
import { keySecretNameOf } from "./managedcertificate.ts";
import { parseManagedCertificate } from "./parse.ts";

const mc = (name: string, secretName: string) => ({
  apiVersion: "certbridge.dev/v1alpha1",
  kind: "ManagedCertificate",
  metadata: { name, namespace: "ns" },
  spec: { connectionRef: { name: "cf" }, secretName, commonName: "a.example.com", cloudflare: {} },
});

describe("ManagedCertificate: secretName vs the key Secret", () => {
  const long = "x".repeat(245);
  it.each([
    { why: "the key Secret's name", name: "web", secret: "web-certbridge-key", ok: false },
    { why: "a long name's hashed key Secret name (only the zod twin can compute it)", name: long, secret: keySecretNameOf(long), ok: false },
    { why: "another resource's key Secret name is just a name", name: "web", secret: "api-certbridge-key", ok: true },
    { why: "the usual -tls name", name: "web", secret: "web-tls", ok: true },
  ])("$why → ok=$ok", ({ name, secret, ok }) => {
    const parsed = parseManagedCertificate(mc(name, secret));
    expect(parsed.ok).toBe(ok);
    if (!parsed.ok) expect(parsed.problems.join("; ")).toMatch(/spec\.secretName: spec\.secretName must not be <metadata.name>-certbridge-key/);
  });

  it("the hashed form stays within the Secret name limit", () => {
    expect(keySecretNameOf(long).length).toBeLessThanOrEqual(253);
    expect(keySecretNameOf("web")).toBe("web-certbridge-key");
  });
});
