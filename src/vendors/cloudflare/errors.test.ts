import { describe, expect, it } from "vitest";
import type { VendorErrorKind } from "../shared/errors.ts";
import { classifyCloudflare } from "./errors.ts";

const env = (errors: unknown[]) => ({ success: false, errors, messages: [], result: null });

describe("classifyCloudflare", () => {
  const cases: Array<{ status: number; body: unknown; kind: VendorErrorKind; code?: string; retryAfterMs?: number; reason: string }> = [
    {
      status: 403,
      body: env([{ code: 10000, message: "Authentication error" }]),
      kind: "credentials",
      code: "10000",
      reason: "bad or unprivileged token [P9]",
    },
    {
      status: 400,
      body: env([{ code: 6003, message: "Invalid request headers", error_chain: [{ code: 6103, message: "Invalid format for X-Auth-Key header" }] }]),
      kind: "credentials",
      code: "6003",
      reason: "malformed key [P9]",
    },
    {
      status: 400,
      body: env([{ code: 6003, message: "Invalid request headers", error_chain: [{ code: 6111, message: "Invalid format for Authorization header" }] }]),
      kind: "credentials",
      code: "6003",
      reason: "malformed token [P9]",
    },
    {
      status: 400,
      body: env([{ code: 9106, message: "Missing X-Auth-Key, X-Auth-Email or Authorization headers" }]),
      kind: "credentials",
      code: "9106",
      reason: "91xx are auth codes",
    },
    {
      status: 429,
      body: env([{ code: 971, message: "Please wait and consider throttling your request speed" }]),
      kind: "rateLimited",
      code: "971",
      retryAfterMs: 300_000,
      reason: "no retry-after: assume the 5-minute block [P8]",
    },
    {
      status: 400,
      body: env([{ code: 971, message: "Please wait" }]),
      kind: "rateLimited",
      code: "971",
      retryAfterMs: 300_000,
      reason: "971 outside a 429 is still throttling",
    },
    { status: 404, body: env([{ code: 7003, message: "No route for the URI" }]), kind: "invalid", code: "7003", reason: "our URL or zone is wrong [S2]" },
    { status: 404, body: env([{ code: 1005, message: "not found" }]), kind: "notFound", reason: "unknown id" },
    { status: 409, body: env([{ code: 1010, message: "conflict" }]), kind: "conflict", reason: "conflict" },
    { status: 400, body: env([{ code: 1001, message: "Invalid request body" }]), kind: "invalid", reason: "our request is wrong" },
    { status: 500, body: env([{ code: 1000, message: "Internal" }]), kind: "transient", reason: "5xx" },
    { status: 502, body: "<html>bad gateway</html>", kind: "transient", reason: "HTML from a proxy: status decides" },
    { status: 401, body: undefined, kind: "credentials", reason: "empty 401" },
    { status: 200, body: env([{ code: 1001, message: "x" }]), kind: "permanent", reason: "success:false on 2xx" },
  ];
  it.each(cases)("$status → $kind ($reason)", ({ status, body, kind, code, retryAfterMs }) => {
    const e = classifyCloudflare({ status, headers: {}, body, operation: "op" });
    expect(e.kind).toBe(kind);
    expect(e.vendor).toBe("cloudflare");
    expect(e.httpStatus).toBe(status);
    if (code !== undefined) expect(e.vendorCode).toBe(code);
    if (retryAfterMs !== undefined) expect(e.retryAfterMs).toBe(retryAfterMs);
  });

  it("quotes only the vendor's error messages, never other body content", () => {
    const e = classifyCloudflare({
      status: 400,
      headers: {},
      body: { ...env([{ code: 1001, message: "Invalid request body" }]), result: { csr: "-----BEGIN SECRET" } },
      operation: "create",
    });
    expect(e.message).toBe("cloudflare create: Invalid request body (code 1001)");
    const html = classifyCloudflare({ status: 503, headers: {}, body: "<html>token=abc</html>", operation: "list" });
    expect(html.message).toBe("cloudflare list: HTTP 503");
  });

  it("keeps a Retry-After the server sent", () => {
    expect(classifyCloudflare({ status: 429, headers: {}, body: undefined, operation: "op", retryAfterMs: 12_000 }).retryAfterMs).toBe(12_000);
  });
});
