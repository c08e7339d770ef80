import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { VendorError } from "./errors.ts";
import { VendorHttp, type ClassifyInput, type VendorHttpOptions } from "./http.ts";
import { RateLimiter } from "./rate-limiter.ts";

// A real HTTP server whose behaviour each test scripts per path.
type Handler = (req: IncomingMessage, res: ServerResponse, body: string, hit: number) => void;
let server: Server;
let baseUrl: string;
const handlers = new Map<string, Handler>();
const hits = new Map<string, number>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = new URL(req.url ?? "/", "http://x").pathname;
      const n = (hits.get(path) ?? 0) + 1;
      hits.set(path, n);
      const h = handlers.get(path);
      if (h === undefined) {
        res.writeHead(404, { "content-type": "application/json" }).end('{"error":"no handler"}');
        return;
      }
      h(req, res, Buffer.concat(chunks).toString("utf8"), n);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  handlers.clear();
  hits.clear();
});

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}

const classified: ClassifyInput[] = [];
function client(extra: Partial<VendorHttpOptions> = {}): VendorHttp {
  classified.length = 0;
  return new VendorHttp({
    vendor: "cloudflare",
    baseUrl,
    backoffBaseMs: 1,
    classify: (r) => {
      classified.push(r);
      const kind = r.status === 429 ? "rateLimited" : r.status >= 500 ? "transient" : r.status === 404 ? "notFound" : "invalid";
      return new VendorError({ kind, vendor: "cloudflare", operation: r.operation, message: `HTTP ${r.status}` });
    },
    ...extra,
  });
}

const Thing = z.object({ id: z.string(), n: z.number() });

describe("VendorHttp", () => {
  it("sends method, query, JSON body and auth headers; validates and returns the data", async () => {
    let seen: { method?: string; url?: string; auth?: string; ct?: string; body?: string } = {};
    handlers.set("/api/v1/things", (req, res, body) => {
      seen = { method: req.method, url: req.url, auth: req.headers.authorization, ct: req.headers["content-type"], body };
      json(res, 200, { id: "a", n: 1, extra: true }, { "x-request-id": "req-42" });
    });
    const http = client({ authHeaders: async () => ({ authorization: "Bearer t0k" }) });
    const res = await http.request({
      operation: "create",
      method: "POST",
      path: "/things",
      query: { page: 2, skip: undefined, on: true },
      json: { csr: "x" },
      schema: Thing,
    });
    expect(res).toMatchObject({ status: 200, data: { id: "a", n: 1 }, requestId: "req-42" });
    expect(seen).toEqual({ method: "POST", url: "/api/v1/things?page=2&on=true", auth: "Bearer t0k", ct: "application/json", body: '{"csr":"x"}' });
  });

  it("sends form bodies url-encoded", async () => {
    let body = "";
    handlers.set("/api/v1/signin", (req, res, b) => {
      body = `${req.headers["content-type"]}|${b}`;
      json(res, 200, { id: "t", n: 0 });
    });
    await client().request({ operation: "signin", method: "POST", path: "/signin", form: { client_id: "a b", client_secret: "s&t" }, schema: Thing });
    expect(body).toBe("application/x-www-form-urlencoded|client_id=a+b&client_secret=s%26t");
  });

  it("hands non-success responses to classify with parsed JSON, request id and retry-after", async () => {
    handlers.set("/api/v1/missing", (_q, res) => json(res, 404, { code: 7003 }, { "cf-ray": "ray-1", "retry-after": "2" }));
    const err = await client()
      .request({ operation: "get", method: "GET", path: "/missing", schema: Thing })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VendorError);
    expect(err).toMatchObject({ kind: "notFound", httpStatus: 404, requestId: "ray-1", retryAfterMs: 2000 });
    expect(classified[0]).toMatchObject({ status: 404, body: { code: 7003 }, operation: "get", requestId: "ray-1" });
  });

  it("honours expectStatus", async () => {
    handlers.set("/api/v1/created", (_q, res) => json(res, 200, { id: "a", n: 1 }));
    const err = await client()
      .request({ operation: "create", method: "POST", path: "/created", schema: Thing, expectStatus: [201] })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: "invalid", httpStatus: 200 });
  });

  it("accepts an empty 204 when the schema allows it", async () => {
    handlers.set("/api/v1/empty", (_q, res) => res.writeHead(204).end());
    const res = await client().request({ operation: "update", method: "PUT", path: "/empty", schema: z.undefined() });
    expect(res.status).toBe(204);
  });

  describe("hostile responses become typed errors", () => {
    const secret = "-----BEGIN PRIVATE KEY-----SECRET";
    const cases: Array<{ name: string; handler: Handler; kind: VendorError["kind"]; message: RegExp; reason: string }> = [
      {
        name: "HTML on 200",
        handler: (_q, res) => res.writeHead(200, { "content-type": "text/html" }).end(`<html>${secret}</html>`),
        kind: "transient",
        message: /HTML/,
        reason: "a proxy or captive portal answered",
      },
      {
        name: "HTML without content type",
        handler: (_q, res) => res.writeHead(200).end(`<!DOCTYPE html><p>${secret}`),
        kind: "transient",
        message: /HTML/,
        reason: "sniffed by its first tag",
      },
      {
        name: "malformed JSON",
        handler: (_q, res) => res.writeHead(200, { "content-type": "application/json" }).end(`{"id": "${secret}`),
        kind: "transient",
        message: /not valid JSON/,
        reason: "truncated body",
      },
      {
        name: "schema mismatch",
        handler: (_q, res) => json(res, 200, { id: 5, n: secret }),
        kind: "permanent",
        message: /expected schema \(id: invalid_type; n: invalid_type\)/,
        reason: "names paths, not values",
      },
      {
        name: "oversized with content-length",
        handler: (_q, res) => res.writeHead(200, { "content-type": "application/json", "content-length": "2048" }).end("x".repeat(2048)),
        kind: "permanent",
        message: /1024-byte limit/,
        reason: "refused before reading",
      },
      {
        name: "oversized chunked",
        handler: (_q, res) => {
          res.writeHead(200, { "content-type": "application/json" });
          for (let i = 0; i < 64; i++) res.write("y".repeat(100));
          res.end();
        },
        kind: "permanent",
        message: /1024-byte limit/,
        reason: "cut off while streaming",
      },
    ];
    it.each(cases)("$name ($reason)", async ({ handler, kind, message }) => {
      handlers.set("/api/v1/hostile", handler);
      const err = await client({ maxResponseBytes: 1024, maxAttempts: 1 })
        .request({ operation: "get", method: "GET", path: "/hostile", schema: Thing })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VendorError);
      expect(err).toMatchObject({ kind, httpStatus: 200 });
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).not.toContain("SECRET");
    });

    it("an HTML error page on 502 reaches classify as text", async () => {
      handlers.set("/api/v1/gw", (_q, res) => res.writeHead(502, { "content-type": "text/html" }).end("<html>Bad gateway</html>"));
      const err = await client({ maxAttempts: 1 })
        .request({ operation: "get", method: "GET", path: "/gw", schema: Thing })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ kind: "transient", httpStatus: 502 });
      expect(classified[0]!.body).toBe("<html>Bad gateway</html>");
    });
  });

  describe("timeouts and aborts", () => {
    it("a slow server yields a transient timeout error", async () => {
      handlers.set("/api/v1/slow", (_q, res) => setTimeout(() => json(res, 200, { id: "a", n: 1 }), 500));
      const err = await client({ maxAttempts: 1 })
        .request({ operation: "get", method: "GET", path: "/slow", schema: Thing, timeoutMs: 50 })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ kind: "transient" });
      expect((err as Error).message).toMatch(/timed out after 50 ms/);
    });

    it("a caller abort propagates the caller's reason, not a vendor error, and is not retried", async () => {
      handlers.set("/api/v1/slow", (_q, res) => setTimeout(() => json(res, 200, { id: "a", n: 1 }), 500));
      const ac = new AbortController();
      setTimeout(() => ac.abort(new Error("reconcile cancelled")), 30);
      const err = await client()
        .request({ operation: "get", method: "GET", path: "/slow", schema: Thing, signal: ac.signal })
        .catch((e: unknown) => e);
      expect(err).not.toBeInstanceOf(VendorError);
      expect((err as Error).message).toBe("reconcile cancelled");
      expect(hits.get("/api/v1/slow")).toBe(1);
    });

    it("a body that stalls mid-stream hits the timeout too", async () => {
      handlers.set("/api/v1/stall", (_q, res) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.write('{"id":');
      });
      const err = await client({ maxAttempts: 1 })
        .request({ operation: "get", method: "GET", path: "/stall", schema: Thing, timeoutMs: 80 })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ kind: "transient" });
    });
  });

  describe("retries", () => {
    it("retries idempotent calls on 5xx and succeeds", async () => {
      handlers.set("/api/v1/flaky", (_q, res, _b, n) => (n < 3 ? json(res, 503, {}) : json(res, 200, { id: "ok", n })));
      const limiter = new RateLimiter({ rules: { default: { limit: 100, windowMs: 1000 } } });
      const res = await client({ limiter }).request({ operation: "get", method: "GET", path: "/flaky", schema: Thing });
      expect(res.data).toEqual({ id: "ok", n: 3 });
      expect(hits.get("/api/v1/flaky")).toBe(3);
      expect(limiter.stats().buckets["default"]!.granted).toBe(3); // one slot per attempt
    });

    it("gives up after maxAttempts", async () => {
      handlers.set("/api/v1/down", (_q, res) => json(res, 500, {}));
      const err = await client({ maxAttempts: 2 })
        .request({ operation: "get", method: "GET", path: "/down", schema: Thing })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ kind: "transient", httpStatus: 500 });
      expect(hits.get("/api/v1/down")).toBe(2);
    });

    const once: Array<{ method: "POST" | "PATCH"; reason: string }> = [
      { method: "POST", reason: "a create may have happened" },
      { method: "PATCH", reason: "not idempotent by default" },
    ];
    it.each(once)("never retries $method at the transport ($reason)", async ({ method }) => {
      handlers.set("/api/v1/w", (_q, res) => json(res, 503, {}));
      await expect(client().request({ operation: "write", method, path: "/w", schema: Thing })).rejects.toMatchObject({ kind: "transient" });
      expect(hits.get("/api/v1/w")).toBe(1);
    });

    it("retries a POST that is declared idempotent", async () => {
      handlers.set("/api/v1/q", (_q, res, _b, n) => (n === 1 ? json(res, 502, {}) : json(res, 200, { id: "q", n })));
      const res = await client().request({ operation: "search", method: "POST", path: "/q", idempotent: true, schema: Thing });
      expect(res.data.n).toBe(2);
    });

    it("does not retry non-retryable kinds", async () => {
      handlers.set("/api/v1/nf", (_q, res) => json(res, 404, {}));
      await expect(client().request({ operation: "get", method: "GET", path: "/nf", schema: Thing })).rejects.toMatchObject({ kind: "notFound" });
      expect(hits.get("/api/v1/nf")).toBe(1);
    });

    it("honours Retry-After on 429", async () => {
      handlers.set("/api/v1/rl", (_q, res, _b, n) => (n === 1 ? json(res, 429, {}, { "retry-after": "0.2" }) : json(res, 200, { id: "r", n })));
      const started = Date.now();
      await client().request({ operation: "get", method: "GET", path: "/rl", schema: Thing });
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    });

    it("does not sit out a Retry-After longer than the cap: the error goes up with retryAfterMs", async () => {
      const seen: VendorError[] = [];
      handlers.set("/api/v1/rl", (_q, res) => json(res, 429, {}, { "retry-after": "300" }));
      const err = await client({ maxRetryAfterMs: 1000, onVendorError: (e) => seen.push(e) })
        .request({ operation: "get", method: "GET", path: "/rl", schema: Thing })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ kind: "rateLimited", retryAfterMs: 300_000 });
      expect(hits.get("/api/v1/rl")).toBe(1);
      expect(seen).toHaveLength(1);
    });

    it("a limiter paused longer than maxRetryAfterMs fails fast as rateLimited without calling the server", async () => {
      handlers.set("/api/v1/p", (_q, res) => json(res, 200, { id: "p", n: 1 }));
      const limiter = new RateLimiter({ rules: { default: { limit: 10, windowMs: 1000 } } });
      limiter.pauseFor(300_000);
      const err = await client({ limiter })
        .request({ operation: "get", method: "GET", path: "/p", schema: Thing })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ kind: "rateLimited" });
      expect((err as VendorError).retryAfterMs).toBeGreaterThan(290_000);
      expect(hits.get("/api/v1/p")).toBeUndefined();
    });

    it("a short limiter pause is waited out, and the timeout does not count the wait", async () => {
      handlers.set("/api/v1/p", (_q, res) => json(res, 200, { id: "p", n: 1 }));
      const limiter = new RateLimiter({ rules: { default: { limit: 10, windowMs: 1000 } } });
      limiter.pauseFor(150);
      const res = await client({ limiter }).request({ operation: "get", method: "GET", path: "/p", schema: Thing, timeoutMs: 100 });
      expect(res.data.id).toBe("p");
    });

    it("retries a GET after a connection reset, but not a POST", async () => {
      handlers.set("/api/v1/reset", (req, res, _b, n) => (n === 1 ? req.socket.destroy() : json(res, 200, { id: "x", n })));
      expect((await client().request({ operation: "get", method: "GET", path: "/reset", schema: Thing })).data.n).toBe(2);
      hits.clear();
      const err = await client()
        .request({ operation: "create", method: "POST", path: "/reset", schema: Thing })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ kind: "transient" });
      expect((err as Error).message).toMatch(/network error/);
      expect(hits.get("/api/v1/reset")).toBe(1);
    });

    it("reports every attempt without payloads", async () => {
      handlers.set("/api/v1/flaky", (_q, res, _b, n) => (n < 2 ? json(res, 503, {}) : json(res, 200, { id: "ok", n })));
      const events: unknown[] = [];
      await client({ onAttempt: (e) => events.push(e) }).request({ operation: "get", method: "GET", path: "/flaky", schema: Thing });
      expect(events).toMatchObject([
        { attempt: 1, status: 503, errorKind: "transient", operation: "get", vendor: "cloudflare" },
        { attempt: 2, status: 200 },
      ]);
    });
  });

  describe("requestRaw", () => {
    it("returns bytes for downloads, with the same size cap and classification", async () => {
      const pem = "-----BEGIN PKCS7-----\nAAAA\n-----END PKCS7-----\n";
      handlers.set("/api/v1/collect", (_q, res) => res.writeHead(200, { "content-type": "application/octet-stream" }).end(pem));
      const res = await client().requestRaw({ operation: "collect", method: "GET", path: "/collect" });
      expect(res.body.toString()).toBe(pem);
      handlers.set("/api/v1/collect", (_q, res) => res.writeHead(200).end("z".repeat(5000)));
      await expect(client({ maxResponseBytes: 1000 }).requestRaw({ operation: "collect", method: "GET", path: "/collect" })).rejects.toMatchObject({
        kind: "permanent",
      });
      handlers.set("/api/v1/collect", (_q, res) => json(res, 400, { code: 0, description: "Being processed" }));
      await expect(client().requestRaw({ operation: "collect", method: "GET", path: "/collect" })).rejects.toMatchObject({ kind: "invalid", httpStatus: 400 });
      expect(classified[0]!.body).toEqual({ code: 0, description: "Being processed" });
    });
  });
});
