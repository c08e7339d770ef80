// lostFirstIntent: when a key found already stored means an earlier pass may have ordered with it and
// lost the record, and what its orders are looked up by. One row per situation, with its reason.
import { describe, expect, it } from "vitest";
import type { CertificateObject, Status } from "./context.ts";
import { lostFirstIntent } from "./lost-intent.ts";

const CREATED = "2026-03-01T10:00:00Z";
const obj = (opts: { finalizer?: boolean; status?: Status }): CertificateObject => ({
  metadata: {
    name: "web",
    namespace: "ns",
    uid: "0000-web",
    creationTimestamp: CREATED,
    ...(opts.finalizer === true ? { finalizers: ["certbridge.dev/cleanup"] } : {}),
  },
  ...(opts.status === undefined ? {} : { status: opts.status }),
});
const sweep = (revision: number) => ({
  revision,
  marker: `uid=0000-web rev=${revision} spec=0123456789abcdef`,
  publicKeySha256: "a".repeat(64),
  since: CREATED,
  until: "2026-03-01T11:00:00Z",
  keep: [],
});
const orderedAs = { spec: "fedcba9876543210", lookupName: "old.example.com" };

describe("a key found already stored for the revision about to be ordered", () => {
  it.each([
    {
      why: "a renewal of a resource that keeps its finalizer: its intents live in status, so the earlier pass died before any paid call",
      o: obj({ finalizer: true, status: { revision: 1, notBefore: "2026-03-02T00:00:00Z" } }),
      revision: 2,
      lost: false,
    },
    {
      why: "a first issuance, no finalizer: the intent would ride in the annotation, which a replace drops with the finalizer",
      o: obj({}),
      revision: 1,
      lost: true,
    },
    {
      why: "a first issuance with the finalizer: a found order's finalizer patch may have landed and the status write after it failed",
      o: obj({ finalizer: true }),
      revision: 1,
      lost: true,
    },
    {
      why: "a renewal whose finalizer a replace dropped: its first write would go to the annotation",
      o: obj({ status: { revision: 1, notBefore: "2026-03-02T00:00:00Z" } }),
      revision: 2,
      lost: true,
    },
    {
      why: "the earlier intent of this revision ended on record (abandoned with its sweep): nothing is lost",
      o: obj({ finalizer: true, status: { orderSweeps: [sweep(1)] } }),
      revision: 1,
      lost: false,
    },
    {
      why: "a sweep of another revision says nothing of this one",
      o: obj({ finalizer: true, status: { orderSweeps: [sweep(1)], failedIssuanceAttempts: 1 } }),
      revision: 2,
      lost: true,
    },
  ])("$why", ({ o, revision, lost }) => {
    expect(lostFirstIntent(o, revision, undefined) !== undefined).toBe(lost);
  });

  it("looked up since the resource's creation, or the current certificate's start when later", () => {
    expect(lostFirstIntent(obj({}), 1, undefined)?.since.toISOString()).toBe("2026-03-01T10:00:00.000Z");
    expect(lostFirstIntent(obj({ status: { revision: 1, notBefore: "2026-03-02T00:00:00Z" } }), 2, undefined)?.since.toISOString()).toBe(
      "2026-03-02T00:00:00.000Z",
    );
  });

  it("by what the key was stored for (its spec and listing name, the spec edited since), when the key Secret says", () => {
    expect(lostFirstIntent(obj({}), 1, orderedAs)).toMatchObject({ marker: "uid=0000-web rev=1 spec=fedcba9876543210", lookupName: "old.example.com" });
    expect(lostFirstIntent(obj({}), 1, undefined)).not.toHaveProperty("marker");
  });
});
