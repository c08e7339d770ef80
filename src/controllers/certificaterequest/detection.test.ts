import { describe, expect, it } from "vitest";
import pino from "pino";
import type { ResourceType } from "../../runtime/kube/resource.ts";
import { OptionalStart } from "./detection.ts";

const issuers: ResourceType = { group: "certbridge.dev", version: "v1alpha1", plural: "vendorissuers", kind: "VendorIssuer", namespaced: true };
const requests: ResourceType = { group: "cert-manager.io", version: "v1", plural: "certificaterequests", kind: "CertificateRequest", namespaced: true };
const ctx = { log: pino({ level: "silent" }), signal: new AbortController().signal };

function detection(served: Set<string>) {
  const said: string[] = [];
  const started: string[] = [];
  const log = pino({ level: "info" }, { write: (line: string) => said.push((JSON.parse(line) as { msg: string }).msg) });
  const start = new OptionalStart({
    discover: async (type) => served.has(type.plural),
    log,
    intervalMs: 7_000,
    parts: [
      { name: "issuers", needs: [issuers], absent: "no issuer CRDs", start: async () => void started.push("issuers") },
      { name: "requests", needs: [requests], absent: "cert-manager is not installed", start: async () => void started.push("requests") },
    ],
  });
  return { start, said, started };
}

describe("OptionalStart", () => {
  it("without cert-manager: starts the issuers, says once that the request controller is not started, and looks again", async () => {
    const served = new Set(["vendorissuers"]);
    const d = detection(served);
    expect(await d.start.reconcile(ctx, "k")).toEqual({ requeueAfterMs: 7_000 });
    expect(await d.start.reconcile(ctx, "k")).toEqual({ requeueAfterMs: 7_000 });
    expect(d.started).toEqual(["issuers"]);
    expect(d.said.filter((m) => m === "cert-manager is not installed")).toHaveLength(1);
    // cert-manager's CRDs appear later: the next look starts the request controller, once.
    served.add("certificaterequests");
    expect(await d.start.reconcile(ctx, "k")).toEqual({});
    expect(await d.start.reconcile(ctx, "k")).toEqual({});
    expect(d.started).toEqual(["issuers", "requests"]);
    expect(d.said).toContain("requests started");
  });

  it("a later part waits for an earlier one: no request controller without the issuer kinds it reads", async () => {
    const d = detection(new Set(["certificaterequests"]));
    expect(await d.start.reconcile(ctx, "k")).toEqual({ requeueAfterMs: 7_000 });
    expect(d.started).toEqual([]);
    expect(d.said).toEqual(["no issuer CRDs"]);
  });
});
