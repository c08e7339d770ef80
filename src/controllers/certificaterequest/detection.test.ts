import { describe, expect, it } from "vitest";
import pino from "pino";
import type { ResourceType } from "../../runtime/kube/resource.ts";
import type { ServedKinds } from "./crd-watch.ts";
import type { PartStatus } from "./detection-plan.ts";
import { OptionalStart } from "./detection.ts";

const issuers: ResourceType = { group: "certbridge.dev", version: "v1alpha1", plural: "vendorissuers", kind: "VendorIssuer", namespaced: true };
const requests: ResourceType = { group: "cert-manager.io", version: "v1", plural: "certificaterequests", kind: "CertificateRequest", namespaced: true };
const ctx = { log: pino({ level: "silent" }), signal: new AbortController().signal };

/** Kinds served as the set says, refused as `refused` says; what is watched, as the detection asks and forgets. */
function kindsFrom(served: Set<string>, refused = new Set<string>()): ServedKinds & { watched: Set<string>; asked: string[] } {
  const watched = new Set<string>();
  const asked: string[] = [];
  return {
    watched,
    asked,
    state: async (type) => {
      asked.push(type.plural);
      if (refused.has(type.plural)) return "forbidden"; // no watch is made for a refused read
      watched.add(type.plural);
      return served.has(type.plural) ? "served" : "absent";
    },
    forget: async (type) => void watched.delete(type.plural),
  };
}

function detection(served: Set<string>, refused = new Set<string>()) {
  const said: string[] = [];
  const warned: string[] = [];
  const running: string[] = [];
  const status = new Map<string, PartStatus>();
  const log = pino(
    { level: "info" },
    {
      write: (line: string) => {
        const { msg, level } = JSON.parse(line) as { msg: string; level: number };
        said.push(msg);
        if (level === 40) warned.push(msg);
      },
    },
  );
  const kinds = kindsFrom(served, refused);
  const start = new OptionalStart({
    kinds,
    log,
    report: (part, now) => void status.set(part, now),
    parts: [
      { name: "issuers", id: "issuers", needs: [issuers], absent: "no issuer CRDs", start: async () => void running.push("issuers") },
      {
        name: "requests",
        id: "requests",
        needs: [requests],
        absent: "cert-manager is not installed",
        start: async () => void running.push("requests"),
        stop: async () => void running.splice(running.indexOf("requests"), 1),
      },
    ],
  });
  return { start, said, warned, running, kinds, status };
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
          id: "issuers",
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

  it("RBAC refusing the CRDs: nothing starts, one Warning, retries with a growing delay; granted, the parts start and it is said", async () => {
    const refused = new Set(["vendorissuers", "certificaterequests"]);
    const d = detection(new Set(["vendorissuers", "certificaterequests"]), refused);
    const delays: Array<number | undefined> = [];
    for (let i = 0; i < 4; i++) delays.push((await d.start.reconcile(ctx, "k")).requeueAfterMs);
    expect(delays).toEqual([2_000, 4_000, 8_000, 16_000]);
    expect(d.running).toEqual([]);
    expect(d.warned).toHaveLength(1);
    expect(d.warned[0]).toContain("vendorissuers.certbridge.dev, certificaterequests.cert-manager.io");
    expect(Object.fromEntries(d.status)).toEqual({ issuers: "not_permitted", requests: "not_permitted" });
    // Neither "not installed" nor "started" is said of a CRD that could not be read.
    expect(d.said.filter((m) => m !== d.warned[0])).toEqual([]);
    expect([...d.kinds.watched], "no watch is left on a refused CRD").toEqual([]);

    refused.clear();
    expect(await d.start.reconcile(ctx, "k"), "no poll once every CRD can be read: watches wake it").toEqual({});
    expect(d.running).toEqual(["issuers", "requests"]);
    expect(d.said).toContain("cert-manager support may read its CRDs now");
    expect(Object.fromEntries(d.status)).toEqual({ issuers: "running", requests: "running" });

    // Only some CRDs refused (custom RBAC naming some): the part that may be read starts, the other waits.
    const again = detection(new Set(["vendorissuers"]), new Set(["certificaterequests"]));
    expect((await again.start.reconcile(ctx, "k")).requeueAfterMs).toBe(2_000);
    expect(again.running, "the part that may be read starts; only the refused one waits").toEqual(["issuers"]);
    expect(Object.fromEntries(again.status)).toEqual({ issuers: "running", requests: "not_permitted" });
  });

  it("a refusal while a part runs stops nothing (it is no evidence its CRD went) and keeps the running part's status", async () => {
    const served = new Set(["vendorissuers", "certificaterequests"]);
    const refused = new Set<string>();
    const d = detection(served, refused);
    await d.start.reconcile(ctx, "k");
    expect(d.running).toEqual(["issuers", "requests"]);
    refused.add("certificaterequests");
    await d.start.reconcile(ctx, "k");
    expect(d.running).toEqual(["issuers", "requests"]);
    expect(d.status.get("requests")).toBe("running");
  });

  it("statuses while CRDs are absent: the missing part not_served, the one after it waiting", async () => {
    const d = detection(new Set(["certificaterequests"]));
    await d.start.reconcile(ctx, "k");
    expect(Object.fromEntries(d.status)).toEqual({ issuers: "not_served", requests: "waiting" });
  });
});
