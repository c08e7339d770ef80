// A connection's vendor block reaches the adapters as the schema parsed it, tagged by vendor: the
// defaults the schema applies are there, and nothing else is read by key.
import { describe, expect, it } from "vitest";
import { VendorConnectionSpec } from "../api/v1alpha1/vendorconnection.ts";
import { connectionSettingsOf, zpaMicrotenantOf } from "./connection.ts";

const credentialsRef = { name: "vendor-credentials" };
const parsed = (block: object) => VendorConnectionSpec.parse({ credentialsRef, ...block });

describe("connectionSettingsOf", () => {
  it.each([
    {
      why: "a ZPA block, with the schema's default auth mode",
      spec: { zpa: { cloud: "PRODUCTION", customerId: "216196257331281920" } },
      want: { vendor: "zpa", settings: { authMode: "Legacy", cloud: "PRODUCTION", customerId: "216196257331281920" } },
    },
    {
      why: "a Cloudflare block, with the default API base and token auth",
      spec: { cloudflare: { zoneId: "0".repeat(32) } },
      want: { vendor: "cloudflare", settings: { baseUrl: "https://api.cloudflare.com/client/v4", zoneId: "0".repeat(32), authMode: "APIToken" } },
    },
    {
      why: "a Sectigo block, with the default instance and password login",
      spec: { sectigo: { customerUri: "acme", orgId: 7 } },
      want: { vendor: "sectigo", settings: { baseUrl: "https://cert-manager.com", customerUri: "acme", orgId: 7, authMode: "Password" } },
    },
  ])("$why", ({ spec, want }) => {
    expect(connectionSettingsOf(parsed(spec))).toEqual(want);
  });

  it("a spec without a vendor block (only a hand-made one; the schema refuses it) has none", () => {
    expect(connectionSettingsOf({})).toBeUndefined();
  });
});

describe("zpaMicrotenantOf", () => {
  it.each([
    { why: "a ZPA connection naming a microtenant", spec: { zpa: { cloud: "BETA", customerId: "1", microtenantId: "42" } }, want: "42" },
    { why: "a ZPA connection without one uses the Default microtenant", spec: { zpa: { cloud: "BETA", customerId: "1" } }, want: undefined },
    { why: "other vendors have no microtenants", spec: { cloudflare: { zoneId: "0".repeat(32) } }, want: undefined },
  ])("$why", ({ spec, want }) => {
    expect(zpaMicrotenantOf(connectionSettingsOf(parsed(spec))!)).toBe(want);
  });
});
