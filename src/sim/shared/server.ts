// The simulator server: vendor routes on node:http(s), plus /__sim/ admin routes for faults, state,
// reset and config that tests and dev mode drive over HTTP or in-process.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { FaultInjector, FaultSpecSchema, type FaultAction, type FaultsApi } from "./faults.ts";
import { Router } from "./router.ts";

export interface SimResponse {
  readonly status: number;
  readonly headers?: Record<string, string>;
  /** Serialised as JSON (content-type application/json). */
  readonly json?: unknown;
  /** Raw body; set content-type in headers. */
  readonly body?: string | Buffer;
}

export interface SimRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  /** The route pattern that matched, for example "/zones/:zone/client_certificates". */
  readonly route: string;
  readonly params: Record<string, string>;
  readonly query: URLSearchParams;
  readonly headers: Record<string, string | undefined>;
  /** Parsed JSON or form body (object of strings); undefined when empty. */
  readonly body: unknown;
  readonly rawBody: Buffer;
  readonly remoteAddress: string;
  /** DER of the certificate the client presented on the TLS connection (only with `tls.requestClientCertificate`). */
  readonly clientCertificate?: Buffer;
  /** Add to a named counter shown in /__sim/state under "counters". */
  count(name: string, by?: number): void;
}

export type SimHandler = (req: SimRequest) => SimResponse | Promise<SimResponse>;

export interface SimRoute {
  readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD";
  readonly path: string;
  readonly handler: SimHandler;
}

/** The vendor-specific part of a simulator's state, exposed through /__sim/state, reset and config. */
export interface SimState {
  snapshot(): Record<string, unknown>;
  reset(): void;
  /** Apply vendor knobs (issuance delay, limits…); return the effective config. */
  configure?(knobs: Record<string, unknown>): Record<string, unknown>;
}

/** How this vendor answers the generic failures (so injected faults look like the real thing). */
export interface SimRenderers {
  notFound?(req: Omit<SimRequest, "route" | "params" | "body">, allowedMethods: readonly string[]): SimResponse;
  badRequest?(req: Omit<SimRequest, "route" | "params" | "body">, reason: string): SimResponse;
  serverError?(status: number, retryAfter?: string): SimResponse;
  tooManyRequests?(retryAfter?: string): SimResponse;
  /** A handler threw something: map known vendor errors to responses. */
  error?(e: unknown): SimResponse | undefined;
}

export interface SimServerOptions {
  readonly name: string;
  readonly routes: readonly SimRoute[];
  /**
   * `requestClientCertificate`: ask every TLS client for a certificate, accept connections without one
   * (or with one no CA vouches for), and hand what was presented to the routes to judge.
   */
  readonly tls?: { readonly certPem: string; readonly keyPem: string; readonly requestClientCertificate?: boolean };
  readonly host?: string;
  readonly port?: number;
  readonly state: SimState;
  readonly render?: SimRenderers;
  /** Request body cap; default 1 MiB. */
  readonly maxBodyBytes?: number;
  /**
   * Vendor test hooks under /__sim/<vendor>/… (e.g. "change this object behind the client's back").
   * Served like the built-in admin routes: no faults, no rate limits, not counted as vendor requests.
   */
  readonly adminRoutes?: readonly SimRoute[];
}

export interface SimStats {
  readonly requests: Record<string, number>;
  readonly responses: Record<string, number>;
  readonly counters: Record<string, number>;
  readonly faultsInjected: Record<string, number>;
}

export interface SimServer {
  readonly url: string;
  readonly name: string;
  readonly faults: FaultsApi;
  /** Framework counters plus the vendor snapshot. */
  state(): Record<string, unknown> & SimStats;
  reset(): void;
  config(knobs: Record<string, unknown>): Record<string, unknown>;
  close(): Promise<void>;
}

export function jsonResponse(status: number, json: unknown, headers?: Record<string, string>): SimResponse {
  return headers === undefined ? { status, json } : { status, json, headers };
}

export function emptyResponse(status: number, headers?: Record<string, string>): SimResponse {
  return headers === undefined ? { status } : { status, headers };
}

const HTML_ERROR =
  "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><p>upstream hiccup (simulated)</p></body></html>\n";

export async function startSimServer(opts: SimServerOptions): Promise<SimServer> {
  const router = new Router(opts.routes);
  const adminRouter = new Router(opts.adminRoutes ?? []);
  const faults = new FaultInjector();
  const maxBody = opts.maxBodyBytes ?? 1024 * 1024;
  let requests: Record<string, number> = {};
  let responses: Record<string, number> = {};
  let counters: Record<string, number> = {};
  const sockets = new Set<Socket>();
  const render = opts.render ?? {};

  const snapshot = (): Record<string, unknown> & SimStats => ({
    ...opts.state.snapshot(),
    requests: { ...requests },
    responses: { ...responses },
    counters: { ...counters },
    faultsInjected: { ...faults.injected },
    faults: faults.list(),
  });
  const reset = (): void => {
    opts.state.reset();
    faults.clear();
    faults.resetCounters();
    requests = {};
    responses = {};
    counters = {};
  };
  const config = (knobs: Record<string, unknown>): Record<string, unknown> => opts.state.configure?.(knobs) ?? {};

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    void handle(req, res).catch(() => {
      if (!res.headersSent) send(res, "GET", { status: 500, json: { error: "simulator failure" } });
      else res.destroy();
    });
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? "GET").toUpperCase();
    const remoteAddress = req.socket.remoteAddress ?? "";
    const url = new URL(req.url ?? "/", "http://sim.invalid");
    const path = url.pathname;
    const raw = await readBody(req, maxBody);
    const headers = req.headers as Record<string, string | undefined>;
    const presented = opts.tls?.requestClientCertificate === true ? (req.socket as TLSSocket).getPeerCertificate?.()?.raw : undefined;
    const base = {
      method,
      path,
      query: url.searchParams,
      headers,
      rawBody: raw === "too-large" ? Buffer.alloc(0) : raw,
      remoteAddress,
      ...(presented === undefined ? {} : { clientCertificate: presented }),
      count: (n: string, by = 1) => void (counters[n] = (counters[n] ?? 0) + by),
    };

    if (path.startsWith("/__sim/")) {
      const hook = raw === "too-large" ? undefined : adminRouter.find(method, path);
      if (hook !== undefined && "route" in hook) {
        const body = parseBody(raw as Buffer, headers["content-type"] ?? "application/json");
        if (!body.ok) return send(res, method, { status: 400, json: { error: body.reason } });
        return send(res, method, await hook.route.handler({ ...base, route: hook.route.path, params: hook.params, body: body.value }));
      }
      return send(res, method, admin(method, path, raw === "too-large" ? undefined : raw));
    }
    if (raw === "too-large") return send(res, method, { status: 413, json: { error: "request body too large" } });

    // HEAD is served by the GET route with the body dropped.
    let head = router.find(method, path);
    if (method === "HEAD" && !("route" in head)) {
      const get = router.find("GET", path);
      if ("route" in get) head = get;
    }
    if (!("route" in head)) {
      requests[`${method} (unmatched)`] = (requests[`${method} (unmatched)`] ?? 0) + 1;
      return send(res, method, render.notFound?.(base, head.allowed) ?? { status: head.allowed.length > 0 ? 405 : 404, json: { error: "no route" } });
    }
    const routeKey = `${method} ${head.route.path}`;
    requests[routeKey] = (requests[routeKey] ?? 0) + 1;

    const decision = faults.decide(method, path);
    if (decision.latencyMs > 0) await new Promise((r) => setTimeout(r, decision.latencyMs));
    if (decision.action?.kind === "reset") {
      req.socket.destroy();
      return;
    }
    const injected = decision.action === undefined ? undefined : injectedResponse(decision.action);
    if (injected !== undefined) return record(res, method, routeKey, injected);

    const body = parseBody(base.rawBody, headers["content-type"]);
    if (!body.ok) return record(res, method, routeKey, render.badRequest?.(base, body.reason) ?? { status: 400, json: { error: body.reason } });
    let out: SimResponse;
    try {
      out = await head.route.handler({ ...base, route: head.route.path, params: head.params, body: body.value });
    } catch (e) {
      const mapped = render.error?.(e);
      if (mapped === undefined) throw e;
      out = mapped;
    }
    if (decision.action?.kind === "lostResponse") {
      // Done and committed, but the answer never arrives: the client sees a reset connection.
      req.socket.destroy();
      return;
    }
    if (decision.action?.kind === "malformedJson") return record(res, method, routeKey, truncateJson(out));
    if (decision.action?.kind === "oversized") return oversized(res, decision.action.bytes);
    record(res, method, routeKey, out);
  }

  function injectedResponse(a: FaultAction): SimResponse | undefined {
    switch (a.kind) {
      case "5xx":
        return (
          render.serverError?.(a.status, a.retryAfter) ?? {
            status: a.status,
            json: { error: "simulated server error" },
            ...(a.retryAfter === undefined ? {} : { headers: { "retry-after": a.retryAfter } }),
          }
        );
      case "429":
        return (
          render.tooManyRequests?.(a.retryAfter) ?? { status: 429, json: { error: "simulated rate limit" }, headers: { "retry-after": a.retryAfter ?? "1" } }
        );
      case "html":
        return { status: 502, headers: { "content-type": "text/html; charset=utf-8" }, body: HTML_ERROR };
      default:
        return undefined;
    }
  }

  function record(res: ServerResponse, method: string, routeKey: string, out: SimResponse): void {
    const k = `${routeKey} → ${out.status}`;
    responses[k] = (responses[k] ?? 0) + 1;
    send(res, method, out);
  }

  function admin(method: string, path: string, raw: Buffer | undefined): SimResponse {
    const body = raw === undefined ? { ok: false as const, reason: "too large" } : parseBody(raw, "application/json");
    const obj =
      body.ok && typeof body.value === "object" && body.value !== null
        ? (body.value as Record<string, unknown>)
        : body.ok && body.value === undefined
          ? {}
          : undefined;
    switch (`${method} ${path}`) {
      case "GET /__sim/state":
        return { status: 200, json: snapshot() };
      case "POST /__sim/reset":
        reset();
        return { status: 200, json: { reset: true } };
      case "POST /__sim/faults": {
        if (obj === undefined) return { status: 400, json: { error: "expected a JSON object" } };
        const parsed = FaultSpecSchema.safeParse(obj);
        if (!parsed.success)
          return { status: 400, json: { error: "invalid fault spec", issues: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) } };
        return { status: 200, json: { id: faults.add(parsed.data), faults: faults.list() } };
      }
      case "DELETE /__sim/faults":
        faults.clear();
        return { status: 200, json: { faults: [] } };
      case "GET /__sim/faults":
        return { status: 200, json: { faults: faults.list() } };
      case "POST /__sim/config":
        if (obj === undefined) return { status: 400, json: { error: "expected a JSON object" } };
        try {
          return { status: 200, json: config(obj) };
        } catch (e) {
          return { status: 400, json: { error: e instanceof Error ? e.message : "invalid config" } };
        }
      default:
        return { status: 404, json: { error: "unknown simulator admin route" } };
    }
  }

  const server: Server =
    opts.tls === undefined
      ? createHttpServer(listener)
      : createHttpsServer(
          {
            cert: opts.tls.certPem,
            key: opts.tls.keyPem,
            ...(opts.tls.requestClientCertificate === true ? { requestCert: true, rejectUnauthorized: false } : {}),
          },
          listener,
        );
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.on("secureConnection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host;
  const url = `${opts.tls === undefined ? "http" : "https"}://${hostForUrl}:${port}`;

  return {
    url,
    name: opts.name,
    faults,
    state: snapshot,
    reset,
    config,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

function send(res: ServerResponse, method: string, out: SimResponse): void {
  const headers: Record<string, string> = { ...out.headers };
  let payload: Buffer | undefined;
  if (out.json !== undefined) {
    payload = Buffer.from(JSON.stringify(out.json));
    headers["content-type"] ??= "application/json";
  } else if (out.body !== undefined) {
    payload = typeof out.body === "string" ? Buffer.from(out.body) : out.body;
  }
  if (payload !== undefined) headers["content-length"] = String(payload.length);
  else if (out.status !== 204 && out.status !== 304) headers["content-length"] = "0";
  res.writeHead(out.status, headers);
  res.end(method === "HEAD" ? undefined : payload);
}

// Cut a JSON body in half so it no longer parses (a truncated response, as proxies produce).
function truncateJson(out: SimResponse): SimResponse {
  const text = out.json !== undefined ? JSON.stringify(out.json) : typeof out.body === "string" ? out.body : (out.body?.toString("utf8") ?? "{}");
  const cut = text.length > 2 ? text.slice(0, Math.max(1, Math.floor(text.length / 2))) : "{";
  return { status: out.status, headers: { ...out.headers, "content-type": "application/json" }, body: cut };
}

function oversized(res: ServerResponse, bytes: number): void {
  res.writeHead(200, { "content-type": "application/json" });
  res.write('{"padding":"');
  const chunk = "x".repeat(64 * 1024);
  let sent = 0;
  const pump = (): void => {
    while (sent < bytes) {
      sent += chunk.length;
      if (!res.write(chunk)) {
        res.once("drain", pump);
        return;
      }
    }
    res.end('"}');
  };
  res.on("close", () => (sent = bytes));
  pump();
}

async function readBody(req: IncomingMessage, max: number): Promise<Buffer | "too-large"> {
  const chunks: Buffer[] = [];
  let total = 0;
  // Keep draining past the cap (without storing) so the client still gets its 413.
  for await (const c of req as AsyncIterable<Buffer>) {
    total += c.length;
    if (total <= max) chunks.push(c);
  }
  return total > max ? "too-large" : Buffer.concat(chunks, total);
}

type Parsed = { ok: true; value: unknown } | { ok: false; reason: string };

function parseBody(raw: Buffer, contentType: string | undefined): Parsed {
  if (raw.length === 0) return { ok: true, value: undefined };
  const text = raw.toString("utf8");
  if (contentType !== undefined && /application\/x-www-form-urlencoded/i.test(contentType)) {
    return { ok: true, value: Object.fromEntries(new URLSearchParams(text)) };
  }
  if (contentType === undefined || /json/i.test(contentType)) {
    try {
      return { ok: true, value: JSON.parse(text) as unknown };
    } catch {
      return { ok: false, reason: "malformed JSON body" };
    }
  }
  return { ok: true, value: text };
}
