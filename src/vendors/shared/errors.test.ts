import { describe, expect, it } from "vitest";
import { isRetryable, isVendorError, VendorError, type VendorErrorKind } from "./errors.ts";

describe("VendorError", () => {
  it("carries classified context and prefixes the message with vendor and operation", () => {
    const cause = new Error("socket hang up");
    const e = new VendorError({
      kind: "rateLimited",
      vendor: "cloudflare",
      operation: "list",
      message: "too many",
      httpStatus: 429,
      vendorCode: "971",
      requestId: "abc",
      retryAfterMs: 5000,
      cause,
    });
    expect(e).toBeInstanceOf(Error);
    expect(e.message).toBe("cloudflare list: too many");
    expect(e.detail).toBe("too many");
    expect([e.kind, e.vendor, e.operation, e.httpStatus, e.vendorCode, e.requestId, e.retryAfterMs]).toEqual([
      "rateLimited",
      "cloudflare",
      "list",
      429,
      "971",
      "abc",
      5000,
    ]);
    expect(e.cause).toBe(cause);
    expect(isVendorError(e)).toBe(true);
    expect(isVendorError(new Error("x"))).toBe(false);
  });

  it("with() fills context without losing what was set", () => {
    const e = new VendorError({ kind: "transient", vendor: "zpa", operation: "get", message: "boom", requestId: "r1" });
    const f = e.with({ httpStatus: 503, retryAfterMs: 10 });
    expect([f.kind, f.httpStatus, f.requestId, f.retryAfterMs, f.message]).toEqual(["transient", 503, "r1", 10, "zpa get: boom"]);
  });

  it("serialises to a payload-free summary", () => {
    const e = new VendorError({ kind: "invalid", vendor: "sectigo", operation: "enroll", message: "bad term", vendorCode: "-36" });
    expect(JSON.parse(JSON.stringify(e))).toMatchObject({ kind: "invalid", vendor: "sectigo", vendorCode: "-36" });
  });

  const table: Array<{ kind: VendorErrorKind; retryable: boolean; reason: string }> = [
    { kind: "transient", retryable: true, reason: "network/5xx heal by themselves" },
    { kind: "rateLimited", retryable: true, reason: "after the retry-after" },
    { kind: "pending", retryable: true, reason: "poll again" },
    { kind: "blocked", retryable: false, reason: "a person must act first" },
    { kind: "credentials", retryable: false, reason: "same credentials fail again" },
    { kind: "notFound", retryable: false, reason: "the object is gone" },
    { kind: "conflict", retryable: false, reason: "needs a different request" },
    { kind: "invalid", retryable: false, reason: "our request is wrong" },
    { kind: "permanent", retryable: false, reason: "never succeeds" },
  ];
  it.each(table)("isRetryable($kind) = $retryable ($reason)", ({ kind, retryable }) => {
    expect(isRetryable(kind)).toBe(retryable);
  });
});
