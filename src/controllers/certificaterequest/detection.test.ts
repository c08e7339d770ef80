import { describe, expect, it } from "vitest";
import pino from "pino";
import type { ResourceType } from "../../runtime/kube/resource.ts";
import type { ServedKinds } from "./crd-watch.ts";
import { OptionalStart } from "./detection.ts";

const issuers: ResourceType = { group: "certbridge.dev", version: "v1alpha1", plural: "vendorissuers", kind: "VendorIssuer", namespaced: true };
const requests: ResourceType = { group: "cert-manager.io", version: "v1", plural: "certificaterequests", kind: "CertificateRequest", namespaced: true };
const ctx = { log: pino({ level: "silent" }), signal: new AbortController().signal };

/** Kinds served as the set says; what is watched, as the detection asks and forgets. */
function kindsFrom(served: Set<string>): ServedKinds & { watched: Set<string> } {
  const watched = new Set<string>();
  return {
    watched,
    served: async (type) => {
      watched.add(type.plural);
      return served.has(type.plural);
    },
    forget: async (type) => void watched.delete(type.plural),
  };
}

function detection(served: Set<string>) {
  const said: string[] = [];
  const running: string[] = [];
  const log = pino({ level: "info" }, { write: (line: string) => said.push((JSON.parse(line) as { msg: string }).msg) });
  const kinds = kindsFrom(served);
  const start = new OptionalStart({
    kinds,
    log,
    parts: [
      { name: "issuers", needs: [issuers], absent: "no issuer CRDs", start: async () => void running.push("issuers") },
      {
        name: "requests",
        needs: [requests],
        absent: "cert-manager is not installed",
        start: async () => void running.push("requests"),
        stop: async () => void running.splice(running.indexOf("requests"), 1),
      },
    ],
  });
  return { start, said, running, kinds };
}

describe("OptionalStart", () => {
  it("without cert-manager: starts the issuers, says once that the request controller is not started, and plans no poll", async () => {
    const served = new Set(["vendorissuers"]);
    const d = detection(served);
    expect(await d.start.reconcile(ctx, "k")).toEqual({});
    expect(await d.start.reconcile(ctx, "k")).toEqual({});
    expect(d.running).toEqual(["issuers"]);
    expect(d.said.filter((m) => m === "cert-manager is not installed")).toHaveLength(1);
    // The issuers run for good: their CRD is no longer watched; cert-manager's is, until it comes.
    expect([...d.kinds.watched]).toEqual(["certificaterequests"]);
  });

  it("flips both ways: installed later → the request controller starts once; its CRD deleted → it stops; back → starts again", async () => {
    const served = new Set(["vendorissuers"]);
    const d = detection(served);
    await d.start.reconcile(ctx, "k");
    served.add("certificaterequests");
    await d.start.reconcile(ctx, "k");
    await d.start.reconcile(ctx, "k"); // a wake with nothing changed starts nothing twice
    expect(d.running).toEqual(["issuers", "requests"]);
    expect(d.said).toContain("requests started");
    // A part that can stop keeps its CRD watched while it runs.
    expect([...d.kinds.watched]).toEqual(["certificaterequests"]);

    served.delete("certificaterequests");
    await d.start.reconcile(ctx, "k");
    await d.start.reconcile(ctx, "k");
    expect(d.running).toEqual(["issuers"]);
    expect(d.said.filter((m) => m === "requests stopped: its CRD is no longer served")).toHaveLength(1);
    // The absence is said again, once, for this new absence.
    expect(d.said.filter((m) => m === "cert-manager is not installed")).toHaveLength(2);

    served.add("certificaterequests");
    await d.start.reconcile(ctx, "k");
    expect(d.running).toEqual(["issuers", "requests"]);
  });

  it("a later part waits for an earlier one: no request controller without the issuer kinds it reads", async () => {
    const d = detection(new Set(["certificaterequests"]));
    expect(await d.start.reconcile(ctx, "k")).toEqual({});
    expect(d.running).toEqual([]);
    expect(d.said).toEqual(["no issuer CRDs"]);
  });

  it("a part whose start fails is not counted as started: the next wake starts it", async () => {
    const served = new Set(["vendorissuers"]);
    let attempts = 0;
    const kinds = kindsFrom(served);
    const start = new OptionalStart({
      kinds,
      log: pino({ level: "silent" }),
      parts: [
        {
          name: "issuers",
          needs: [issuers],
          absent: "",
          start: async () => {
            if (++attempts === 1) throw new Error("sync aborted");
          },
        },
      ],
    });
    await expect(start.reconcile(ctx, "k")).rejects.toThrow("sync aborted");
    expect(start.started).toEqual([]);
    await start.reconcile(ctx, "k");
    expect(start.started).toEqual(["issuers"]);
  });
});
