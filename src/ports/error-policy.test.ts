import { describe, expect, test } from "vitest";
import { VENDOR_ERROR_POLICY, meaningOf, vendorConditionMessage, vendorReason } from "./error-policy.ts";
import { VENDOR_ERROR_KINDS, VendorError, type VendorErrorKind } from "./vendor-error.ts";

const err = (kind: VendorErrorKind, message = "refused", extra: Partial<ConstructorParameters<typeof VendorError>[0]> = {}) =>
  new VendorError({ kind, vendor: "sectigo", operation: "enroll", message, ...extra });

describe("vendor error policy", () => {
  test("every kind has a row with a reason, a next step and a why", () => {
    for (const kind of VENDOR_ERROR_KINDS) {
      const row = VENDOR_ERROR_POLICY[kind];
      expect(row, kind).toBeDefined();
      expect(row.reason).toMatch(/^[A-Z][A-Za-z]+$/);
      expect(row.nextStep.length).toBeGreaterThan(10);
      expect(row.why.length).toBeGreaterThan(10);
    }
  });

  test.each([
    { kind: "transient", action: "retry", reason: "VendorError", why: "passes on its own: back off and try again" },
    { kind: "rateLimited", action: "retry", reason: "RateLimited", why: "the vendor said when to come back" },
    { kind: "pending", action: "retry", reason: "Pending", why: "still working: ask again" },
    { kind: "blocked", action: "waitForPerson", reason: "AwaitingApproval", why: "an approval is outside our reach" },
    { kind: "credentials", action: "credentials", reason: "CredentialsInvalid", why: "refused until someone rotates them" },
    { kind: "notFound", action: "retry", reason: "NotFound", why: "the next attempt observes afresh" },
    { kind: "conflict", action: "retry", reason: "Conflict", why: "a conflict at the vendor often clears" },
    { kind: "invalid", action: "stop", reason: "InvalidSpec", why: "the same request is refused the same way" },
    { kind: "permanent", action: "stop", reason: "VendorError", why: "the vendor said never" },
  ] as const)("$kind → $action / $reason ($why)", ({ kind, action, reason }) => {
    expect(meaningOf(err(kind))).toMatchObject({ action, reason });
  });

  test.each([
    { detail: "domain control validation incomplete for www.example.test", reason: "AwaitingValidation", why: "DCV named" },
    { detail: "DCV pending", reason: "AwaitingValidation", why: "the abbreviation" },
    { detail: "request awaits administrator approval", reason: "AwaitingApproval", why: "an approval" },
  ])("a blocked error's own words refine its reason: $why", ({ detail, reason }) => {
    expect(meaningOf(err("blocked", detail))).toMatchObject({ action: "waitForPerson", reason });
  });

  test("the condition message carries the vendor's reason (operation, kind, code, status, words) and the next step", () => {
    const e = err("rateLimited", "too many requests", { vendorCode: "-1003", httpStatus: 429, requestId: "rq-1" });
    expect(vendorReason(e)).toBe("sectigo enroll failed (rateLimited -1003, HTTP 429): too many requests");
    expect(vendorConditionMessage(e)).toBe("sectigo enroll failed (rateLimited -1003, HTTP 429): too many requests; retrying after the vendor's Retry-After.");
  });

  test("the vendor's words are bounded", () => {
    expect(vendorReason(err("permanent", "x".repeat(2_000))).length).toBeLessThan(400);
  });
});
