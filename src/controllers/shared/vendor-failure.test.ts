import { describe, expect, test } from "vitest";
import { VendorError, type VendorErrorKind } from "../../ports/vendor-error.ts";
import { TerminalError } from "../../runtime/errors.ts";
import { CREDENTIALS_RECHECK_MS, WAIT_FOR_PERSON_POLL_MS, vendorFailure } from "./vendor-failure.ts";

const err = (kind: VendorErrorKind, retryAfterMs?: number) =>
  new VendorError({ kind, vendor: "sectigo", operation: "enroll", message: "refused", ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });

describe("vendorFailure", () => {
  test.each([
    { kind: "transient", why: "a retry returns the vendor error itself: the queue backs off at least its Retry-After" },
    { kind: "rateLimited", why: "as transient" },
    { kind: "pending", why: "still working: poll through the queue" },
    { kind: "notFound", why: "the next attempt observes afresh" },
    { kind: "conflict", why: "often clears" },
  ] as const)("$kind: condition written, then the error is returned ($why)", ({ kind }) => {
    const e = err(kind, 30_000);
    const f = vendorFailure(e);
    expect(f.action).toBe("retry");
    expect(f.message).toContain("sectigo enroll failed");
    expect(() => f.finish()).toThrow(e);
  });

  test.each([
    { kind: "invalid", why: "the same request is refused the same way" },
    { kind: "permanent", why: "the vendor said never" },
  ] as const)("$kind: a terminal error carrying the message and the cause ($why)", ({ kind }) => {
    const e = err(kind);
    const f = vendorFailure(e);
    let thrown: unknown;
    try {
      f.finish();
    } catch (x) {
      thrown = x;
    }
    expect(thrown).toBeInstanceOf(TerminalError);
    expect((thrown as TerminalError).message).toBe(f.message);
    expect((thrown as TerminalError).cause).toBe(e);
  });

  test.each([
    { kind: "blocked", retryAfterMs: undefined, want: WAIT_FOR_PERSON_POLL_MS, why: "a person acts outside Kubernetes: poll slowly" },
    { kind: "blocked", retryAfterMs: 2 * WAIT_FOR_PERSON_POLL_MS, want: 2 * WAIT_FOR_PERSON_POLL_MS, why: "never sooner than the vendor asked" },
    { kind: "credentials", retryAfterMs: undefined, want: CREDENTIALS_RECHECK_MS, why: "the connection's change wakes us; a slow recheck besides" },
  ] as const)("$kind: a planned poll in $want ms, not a failure ($why)", ({ kind, retryAfterMs, want }) => {
    expect(vendorFailure(err(kind, retryAfterMs)).finish()).toEqual({ requeueAfterMs: want });
  });

  test("poll intervals can be set per controller", () => {
    expect(vendorFailure(err("blocked"), { waitForPersonPollMs: 60_000 }).finish()).toEqual({ requeueAfterMs: 60_000 });
    expect(vendorFailure(err("credentials"), { credentialsRecheckMs: 5_000 }).finish()).toEqual({ requeueAfterMs: 5_000 });
  });
});
