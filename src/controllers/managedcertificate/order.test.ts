import { describe, expect, it } from "vitest";
import { ManagedCertificateSpec } from "../../api/v1alpha1/managedcertificate.ts";
import { generateKey } from "../../pki/keys.ts";
import type { SecretOwner } from "../shared/owned-secret.ts";
import { markerSpecHash } from "../ordering/record.ts";
import type { Status } from "./context.ts";
import { buildOrder, knownVendorRefs, nextRevision } from "./order.ts";
import { publicKeySha256 } from "./keys.ts";

const owner: SecretOwner = { kind: "ManagedCertificate", namespace: "ns", name: "web", uid: "0000-web" };

describe("a ManagedCertificate's orders", () => {
  it("knownVendorRefs: everything the resource accounts for", () => {
    const status: Status = {
      vendorRef: "current",
      pendingIssuance: { revision: 2, state: "Pending", startedTime: "2026-03-01T10:00:00Z", vendorRef: "pending", pollCount: 0 },
      pendingRevocations: [{ vendorRef: "old", reason: "Superseded" }],
      orderSweeps: [
        { revision: 1, marker: "m", publicKeySha256: "a".repeat(64), since: "2026-03-01T10:00:00Z", until: "2026-03-01T10:00:01Z", keep: ["kept"] },
      ],
    };
    expect(knownVendorRefs({ metadata: { uid: "0000-web" }, status }).sort()).toEqual(["current", "kept", "old", "pending"]);
  });

  it.each([
    { why: "never issued", status: {}, revision: 1 },
    { why: "the next after the current", status: { revision: 3 }, revision: 4 },
    { why: "failed attempts move it on, so a dead order is never found again", status: { revision: 3, failedIssuanceAttempts: 2 }, revision: 6 },
  ])("nextRevision: $why", ({ status, revision }) => {
    expect(nextRevision(status)).toBe(revision);
  });

  it("buildOrder: names from the spec, the key's hash, the spec hash in the owner, typed vendor options", async () => {
    const { privateKey } = await generateKey({ algorithm: "ECDSA", size: 256 });
    const spec = ManagedCertificateSpec.parse({
      connectionRef: { kind: "VendorConnection", name: "scm" },
      secretName: "web-tls",
      dnsNames: ["app.example.com", "www.example.com"],
      privateKey: { algorithm: "ECDSA", size: 256 },
      sectigo: { type: "SSL", profile: { name: "OV SSL" } },
    });
    const order = await buildOrder(spec, owner, "0123456789abcdef0123456789abcdef", privateKey, 4);
    expect(order).toMatchObject({
      owner: { uid: "0000-web", revision: 4, specHash: "0123456789abcdef" },
      commonName: "app.example.com",
      dnsNames: ["app.example.com", "www.example.com"],
      publicKeySha256: publicKeySha256(privateKey),
    });
    expect(order.vendorOptions).toMatchObject({ vendor: "sectigo", options: { type: "SSL" } });
    expect(order.csrPem).toMatch(/BEGIN CERTIFICATE REQUEST/);
    expect(markerSpecHash(`uid=u rev=4 spec=${order.owner.specHash}`)).toBe("0123456789abcdef");
  });
});
