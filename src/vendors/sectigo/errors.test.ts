import { describe, expect, it } from "vitest";
import { VENDOR_ERROR_KINDS, type VendorErrorKind } from "../shared/errors.ts";
import type { ClassifyInput } from "../shared/http.ts";
import { SECTIGO_ERROR_CODES } from "./error-codes.ts";
import { classifySectigoError, lookupSectigoCode, readErrorBody } from "./errors.ts";

function input(status: number, body: unknown, extra: Partial<ClassifyInput> = {}): ClassifyInput {
  return { status, headers: {}, body, operation: "ssl.test", ...extra };
}

/** A documented message with its parameters filled, as SCM would send it. */
function filled(message: string): string {
  return message.replace(/\{(\d+)\}/g, (_m, i: string) => `param${i}`);
}

describe("SCM error code table", () => {
  it("holds every documented code (144 in the Errors section) plus 0 and -16", () => {
    expect(SECTIGO_ERROR_CODES).toHaveLength(146);
    expect(SECTIGO_ERROR_CODES.every((r) => VENDOR_ERROR_KINDS.includes(r.kind) && r.reason.length > 0)).toBe(true);
  });

  // One row per documented code: the body SCM sends on a 400 is classified into the table's kind.
  it.each(SECTIGO_ERROR_CODES.map((r) => [r.code, r.message, r.kind, r.reason] as const))("code %i %s → %s (%s)", (code, message, kind) => {
    const err = classifySectigoError(input(400, { code, description: filled(message) }));
    expect(err.kind).toBe(kind);
    expect(err.vendorCode).toBe(String(code));
    expect(err.vendor).toBe("sectigo");
    expect(err.httpStatus).toBe(400);
    expect(err.message).toContain(`code ${code}`);
  });
});

const DUPLICATED: ReadonlyArray<readonly [number, string, VendorErrorKind, string]> = [
  [-9, "Unknown notification type: X", "invalid", "notification type"],
  [-9, "The CSR is not valid Base-64 data!", "invalid", "CSR base-64"],
  [-62, "Missing mandatory custom field!", "invalid", "custom field"],
  [-62, "Invalid IP address 10.0.0.300", "invalid", "SAN IP"],
  [-105, "Person not found.", "notFound", "person lookups"],
  [-105, "Error was occurred while renewing cert. Status = Requested", "conflict", "renew in the wrong state"],
  [-159, "Your certificate already revoked", "conflict", "already revoked (revoke maps it to success)"],
  [-159, "Custom fields limit has been exceeded for this customer. Only 5 custom fields or fewer are allowed.", "permanent", "custom field quota"],
];

describe("codes documented twice are told apart by their text", () => {
  it.each(DUPLICATED)("%i %s → %s (%s)", (code, description, kind) => {
    expect(classifySectigoError(input(400, { code, description })).kind).toBe(kind);
    expect(lookupSectigoCode(code, description)?.kind).toBe(kind);
  });

  it("doubled apostrophes in templates match both spellings", () => {
    expect(lookupSectigoCode(-180, "This SSL Certificate Profile doesn't allow renew")?.code).toBe(-180);
    expect(lookupSectigoCode(-130, "SSL state is not ''ISSUED'': Requested")?.kind).toBe("conflict");
  });
});

describe("classification beyond the table", () => {
  it.each([
    ["a 401 is credentials whatever the code", 401, { code: -1, description: "Unknown error." }, "credentials"],
    ["the documented 401 body", 401, { code: -16, description: "Unknown user" }, "credentials"],
    ["429 is rate limited, body or not", 429, undefined, "rateLimited"],
    ["an unknown code on a 400 is our request", 400, { code: -99999, description: "new" }, "invalid"],
    ["an unknown code on a 503 is transient", 503, { code: -99999, description: "new" }, "transient"],
    ["a 404 without an SCM body", 404, "<html>not found</html>", "notFound"],
    ["a 502 HTML page from a proxy", 502, "<!DOCTYPE html><html></html>", "transient"],
    ["an empty 500", 500, undefined, "transient"],
    ["a 403 from a gateway", 403, "Forbidden", "credentials"],
    ["a 409 without body", 409, undefined, "conflict"],
    ["a 408 request timeout", 408, undefined, "transient"],
    ["pending as plain text, as one public client's double sends it [P11]", 400, "Being processed by Sectigo", "pending"],
    ["a numeric string code", 400, { code: "-183", description: "Certificate is not collectable." }, "pending"],
    ["truncated JSON handed over as text", 400, '{"code":-1', "invalid"],
  ] as const)("%s", (_why, status, body, kind) => {
    expect(classifySectigoError(input(status, body)).kind).toBe(kind);
  });

  it("keeps request id and Retry-After for the retry layer", () => {
    const err = classifySectigoError(input(429, undefined, { requestId: "r-1", retryAfterMs: 2000 }));
    expect(err.requestId).toBe("r-1");
    expect(err.retryAfterMs).toBe(2000);
  });

  it("never puts more than the vendor's own description in the message, capped", () => {
    const err = classifySectigoError(input(400, { code: -7, description: "x".repeat(5000) }));
    expect(err.message.length).toBeLessThan(400);
  });

  it.each([
    ["not an object", "text", undefined],
    ["an array", [1], undefined],
    ["no code", { description: "x" }, undefined],
    ["a fractional code", { code: 1.5 }, undefined],
    ["a good body", { code: -7, description: "csr is required but missing." }, { code: -7, description: "csr is required but missing." }],
  ] as const)("readErrorBody: %s", (_why, body, want) => {
    expect(readErrorBody(body)).toEqual(want);
  });
});
