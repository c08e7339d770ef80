import { describe, expect, test } from "vitest";
import { ConflictError, ErrorCode, RetryableError, TerminalError, failureFacts, retryAfterOf } from "./errors.ts";
import { KubeApiError } from "./kube/errors.ts";

describe("error classes", () => {
  test.each([
    { error: new TerminalError("spec invalid"), code: ErrorCode.Terminal, why: "stop until the next change" },
    { error: new RetryableError("try later", { retryAfterMs: 5_000 }), code: ErrorCode.Retryable, why: "back off, at least the hint" },
    { error: new ConflictError("ManagedCertificate team/web"), code: ErrorCode.Conflict, why: "retry on a fresh copy" },
  ])("$error.name carries the stable code $code ($why)", ({ error, code }) => {
    expect(error.code).toBe(code);
    expect(error).toBeInstanceOf(Error);
  });

  test.each([
    { error: new RetryableError("x", { retryAfterMs: 3_000 }), want: 3_000, why: "the error's own hint" },
    { error: new RetryableError("x"), want: 0, why: "no hint: the queue's backoff decides" },
    { error: Object.assign(new Error("x"), { retryAfterMs: -1 }), want: 0, why: "a negative hint is ignored" },
    { error: Object.assign(new Error("x"), { retryAfterMs: Number.NaN }), want: 0, why: "a NaN hint is ignored" },
    { error: "a string", want: 0, why: "not an error at all" },
    { error: null, want: 0, why: "nothing thrown" },
  ])("retryAfterOf: $why", ({ error, want }) => {
    expect(retryAfterOf(error)).toBe(want);
  });
});

describe("failureFacts", () => {
  test("a vendor-shaped error keeps kind, vendor code, request id and status, read structurally", () => {
    const vendorLike = Object.assign(new Error("sectigo enroll: domain not validated"), {
      name: "VendorError",
      code: "ERR_VENDOR",
      kind: "blocked",
      vendor: "sectigo",
      operation: "enroll",
      vendorCode: "-1004",
      requestId: "req-7",
      httpStatus: 400,
      retryAfterMs: 60_000,
      body: "never read",
    });
    expect(failureFacts(vendorLike)).toEqual({
      error: "VendorError",
      message: "sectigo enroll: domain not validated",
      code: "ERR_VENDOR",
      kind: "blocked",
      vendor: "sectigo",
      operation: "enroll",
      vendorCode: "-1004",
      requestId: "req-7",
      httpStatus: 400,
      retryAfterMs: 60_000,
    });
  });

  test("an API error keeps its status", () => {
    const facts = failureFacts(new KubeApiError({ status: 409, reason: "Conflict", message: "the object has been modified", method: "PATCH", path: "/x" }));
    expect(facts).toMatchObject({ error: "KubeApiError", httpStatus: 409 });
  });

  test("a long message is bounded; a non-error is described by its type", () => {
    expect(failureFacts(new Error("x".repeat(5_000))).message).toHaveLength(500);
    expect(failureFacts(42)).toEqual({ error: "number", message: "42" });
  });
});
