// The seal of a first intent (intent-seal.ts): written with the annotation, read back through intentOf,
// valid only for the same resource, record and connection credentials.
import { describe, expect, it } from "vitest";
import type { CertificateObject } from "./context.ts";
import { annotationLiveness, firstIntentPatch, recordAsRead, type IntentRecord } from "./intent.ts";
import { canSeal, sealOf, sealValid } from "./intent-seal.ts";

const UID = "0000-web";
const CREDS = { apiToken: "token-of-the-shared-connection" };
const record: IntentRecord = {
  revision: 1,
  state: "Submitting",
  startedTime: "2026-03-01T10:00:00Z",
  publicKeySha256: "a".repeat(64),
  fingerprint: "f".repeat(64),
  marker: `uid=${UID} rev=1 spec=0123456789abcdef`,
  submits: 1,
  settleDeadline: "2026-03-01T10:03:00Z",
  pollCount: 0,
};

/** The object as the API server holds it after the combined patch. */
function written(seal: string | undefined): CertificateObject {
  const patch = firstIntentPatch({ metadata: { name: "web", namespace: "ns", uid: UID, resourceVersion: "1" } }, record, "id1", seal) as {
    metadata: { annotations: Record<string, string> };
  };
  return { metadata: { name: "web", namespace: "ns", uid: UID, resourceVersion: "2", annotations: patch.metadata.annotations } };
}

describe("a first intent's seal", () => {
  it("written with the annotation, it verifies against what intentOf reads back (the fingerprint is not read, so not sealed)", () => {
    const read = annotationLiveness(written(sealOf(CREDS, UID, recordAsRead(record))));
    expect(read.live).toBe(true);
    if (read.live) expect(sealValid(read.seal, CREDS, UID, read.record)).toBe(true);
  });

  const rows: ReadonlyArray<{ readonly why: string; readonly creds: Record<string, string>; readonly uid: string; readonly record: IntentRecord }> = [
    { why: "another connection's credentials (a tenant without the shared connection's cannot seal)", creds: { apiToken: "a guess" }, uid: UID, record },
    { why: "another resource (copied onto a new object)", creds: CREDS, uid: "1111-other", record },
    { why: "a key hash edited after sealing", creds: CREDS, uid: UID, record: { ...record, publicKeySha256: "b".repeat(64) } },
    { why: "a start time edited after sealing (widens the look-up)", creds: CREDS, uid: UID, record: { ...record, startedTime: "2026-01-01T00:00:00Z" } },
  ];
  it.each(rows)("invalid: $why", ({ creds, uid, record: r }) => {
    expect(sealValid(sealOf(CREDS, UID, recordAsRead(record)), creds, uid, recordAsRead(r))).toBe(false);
  });

  it("no seal, or a connection without credentials: never valid", () => {
    expect(sealValid(undefined, CREDS, UID, record)).toBe(false);
    expect(canSeal({})).toBe(false);
    expect(sealValid(sealOf({}, UID, record), {}, UID, record)).toBe(false);
  });
});
