import { createServer, type Server } from "node:http";
import { once } from "node:events";
import type { Registry } from "prom-client";

export interface HealthServerOptions {
  readonly host?: string;
  readonly port: number;
  readonly registry: Registry;
  /** Live: the process can still make progress. */
  readonly live: () => boolean;
  /** Ready: caches synced; a standby replica is ready too, so a rollout never waits on the lease. */
  readonly ready: () => boolean;
}

/** Serves /healthz, /readyz and /metrics on one port. */
export async function startHealthServer(options: HealthServerOptions): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const reply = (status: number, body: string, type = "text/plain; charset=utf-8") => {
      res.writeHead(status, { "content-type": type });
      res.end(body);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return reply(405, "method not allowed\n");
    if (path === "/healthz" || path === "/livez") return options.live() ? reply(200, "ok\n") : reply(503, "not live\n");
    if (path === "/readyz") return options.ready() ? reply(200, "ok\n") : reply(503, "not ready\n");
    if (path === "/metrics") {
      options.registry.metrics().then(
        (text) => reply(200, text, options.registry.contentType),
        () => reply(500, "metrics unavailable\n"),
      );
      return;
    }
    reply(404, "not found\n");
  });
  server.listen(options.port, options.host ?? "0.0.0.0");
  await once(server, "listening");
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : options.port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
