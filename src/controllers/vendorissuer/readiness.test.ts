import { describe, expect, it } from "vitest";
import type { ConnectionLookup } from "../shared/connections.ts";
import { type ConnectionHealth, issuerReadiness } from "./readiness.ts";

const usable = { ok: true, connection: {} } as unknown as ConnectionLookup;
const label = "VendorConnection web/sectigo";

describe("issuerReadiness", () => {
  it.each<{ reason: string; lookup: ConnectionLookup; health: ConnectionHealth; want: { status: string; reason: string; message: RegExp } }>([
    {
      reason: "a verified, usable connection makes the issuer Ready",
      lookup: usable,
      health: { ready: { status: "True", reason: "Verified" } },
      want: { status: "True", reason: "Verified", message: /sectigo through it/ },
    },
    {
      reason: "the resolver's refusal is shown as it is (the connection's problem is the issuer's)",
      lookup: { ok: false, reason: "ConnectionNotPermitted", message: "ClusterVendorConnection shared does not admit namespace web (namespaceSelector)" },
      health: { ready: { status: "True" } },
      want: { status: "False", reason: "ConnectionNotPermitted", message: /does not admit namespace web/ },
    },
    {
      reason: "an unverified connection: requests would fail at the vendor, so wait",
      lookup: usable,
      health: {},
      want: { status: "False", reason: "ConnectionNotReady", message: /has not been verified yet/ },
    },
    {
      reason: "a connection whose credentials the vendor refused says why",
      lookup: usable,
      health: { ready: { status: "False", reason: "CredentialsInvalid", message: "login refused" } },
      want: { status: "False", reason: "ConnectionNotReady", message: /is not Ready \(CredentialsInvalid: login refused\)/ },
    },
  ])("$reason", ({ lookup, health, want }) => {
    const c = issuerReadiness(lookup, health, label, "sectigo");
    expect({ status: c.status, reason: c.reason }).toEqual({ status: want.status, reason: want.reason });
    expect(c.message).toMatch(want.message);
  });
});
