// Every documented ZPA error (DIGEST §1.7) classified into a VendorError kind.
import { describe, expect, test } from "vitest";
import { VENDOR_ERROR_KINDS } from "../shared/errors.ts";
import { classifyZpa, DEFAULT_RATE_LIMIT_WAIT_MS, zpaErrorRules } from "./errors.ts";

type Case = { reason: string; status: number; body: unknown; retryAfterMs?: number; kind: string; code?: string; wait?: number };

const cases: Case[] = [
  {
    reason: "400 resource.not.found (ZPA's unknown-id answer)",
    status: 400,
    body: { id: "resource.not.found", reason: "No resource exists with the given id/name :0", params: ["0"] },
    kind: "notFound",
    code: "resource.not.found",
  },
  { reason: "404 without a body", status: 404, body: undefined, kind: "notFound" },
  {
    reason: "429 invalid.toomanyrequests with retry-after 13s",
    status: 429,
    body: { exception: "invalid.toomanyrequests", id: "invalid.toomanyrequests", reason: "Exceeded the number of requests allowed" },
    retryAfterMs: 13_000,
    kind: "rateLimited",
    code: "invalid.toomanyrequests",
    wait: 13_000,
  },
  { reason: "429 without retry-after waits one ZPA window", status: 429, body: undefined, kind: "rateLimited", wait: DEFAULT_RATE_LIMIT_WAIT_MS },
  {
    reason: "401 'Resource Access Blocked' is throttling (SDK)",
    status: 401,
    body: { id: "resource.access.blocked", reason: "Resource Access Blocked" },
    kind: "rateLimited",
    wait: DEFAULT_RATE_LIMIT_WAIT_MS,
  },
  { reason: "401 access.denied", status: 401, body: { id: "access.denied", reason: "Access denied" }, kind: "credentials", code: "access.denied" },
  { reason: "403 forbidden (role or microtenant)", status: 403, body: { id: "authz.failed", reason: "Forbidden" }, kind: "credentials" },
  {
    reason: "409 api.concurrent.access.error: try again",
    status: 409,
    body: {
      params: ["com.zscaler.zpn.model.PolicySet"],
      id: "api.concurrent.access.error",
      reason: "Unable to modify the resource due to concurrent change requests. Try again",
    },
    kind: "transient",
    code: "api.concurrent.access.error",
  },
  { reason: "other 409", status: 409, body: { id: "duplicate.name", reason: "exists" }, kind: "conflict" },
  {
    reason: "503 retryable.server.error with Retry-After 10s",
    status: 503,
    body: { id: "retryable.server.error", reason: "An error occurred. Refer to the Retry-After header, and then try again." },
    retryAfterMs: 10_000,
    kind: "transient",
    code: "retryable.server.error",
    wait: 10_000,
  },
  {
    reason: "400 non.restricted.entity.authorization.failed (SDK retries)",
    status: 400,
    body: { id: "non.restricted.entity.authorization.failed", reason: "x" },
    kind: "transient",
  },
  { reason: "400 bad.request (SDK retries)", status: 400, body: { id: "bad.request", reason: "x" }, kind: "transient" },
  { reason: "400 OAuth invalid_client", status: 400, body: { error: "invalid_client" }, kind: "credentials", code: "invalid_client" },
  {
    reason: "400 validation error",
    status: 400,
    body: { id: "invalid.input", reason: "maxUsage is required", params: ["maxUsage"] },
    kind: "invalid",
    code: "invalid.input",
  },
  { reason: "422 with an HTML body", status: 422, body: "<html>nope</html>", kind: "invalid" },
  { reason: "500 HTML error page", status: 500, body: "<html>oops</html>", kind: "transient" },
  { reason: "502 from a proxy", status: 502, body: undefined, kind: "transient" },
  { reason: "408 request timeout", status: 408, body: undefined, kind: "transient" },
  { reason: "405 method not allowed", status: 405, body: { id: "method.not.allowed" }, kind: "permanent" },
  { reason: "410 gone", status: 410, body: undefined, kind: "permanent" },
];

describe("classifyZpa", () => {
  test.each(cases)("$reason → $kind", ({ status, body, retryAfterMs, kind, code, wait }) => {
    const e = classifyZpa({ status, headers: {}, body, operation: "op", ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
    expect(e.kind).toBe(kind);
    expect(e.vendor).toBe("zpa");
    expect(e.httpStatus).toBe(status);
    if (code !== undefined) expect(e.vendorCode).toBe(code);
    expect(e.retryAfterMs).toBe(wait);
  });

  test("every rule of the table is exercised by a case", () => {
    const hit = new Set(
      cases.map(
        (c) =>
          zpaErrorRules.find((r) =>
            r.when(c.status, classifyZpa({ status: c.status, headers: {}, body: c.body, operation: "x" }).vendorCode, (c.body ?? {}) as never),
          )!.reason,
      ),
    );
    expect(zpaErrorRules.filter((r) => !hit.has(r.reason)).map((r) => r.reason)).toEqual([]);
    for (const r of zpaErrorRules) expect(VENDOR_ERROR_KINDS).toContain(r.kind);
  });

  test("the message names the status and code, never other body content", () => {
    const e = classifyZpa({
      status: 400,
      headers: {},
      body: { id: "invalid.input", reason: "bad", secretEcho: "3|host|SECRETKEY" },
      operation: "createProvisioningKey",
    });
    expect(e.message).toBe("zpa createProvisioningKey: HTTP 400 invalid.input: bad");
    expect(JSON.stringify(e)).not.toContain("SECRETKEY");
  });
});
