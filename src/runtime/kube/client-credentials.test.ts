import { createServer, type IncomingMessage, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubeClient } from "./client.ts";
import type { KubeConnectionConfig, KubeHeaders } from "./config.ts";
import { KubeApiError } from "./errors.ts";
import type { ResourceType } from "./resource.ts";

const configMaps: ResourceType = { group: "", version: "v1", plural: "configmaps", kind: "ConfigMap", namespaced: true };

/** What the server saw of each request: the bearer, the impersonated groups, and the body. */
interface Seen {
  authorization: string | undefined;
  groups: string[] | undefined;
  body: string;
  path: string;
}

describe("KubeClient credentials on the wire", () => {
  let server: Server;
  let url = "";
  const seen: Seen[] = [];
  /** Only this bearer is accepted; anything else gets 401 as an API server answers it. */
  let accepted = "Bearer fresh";

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      let body = "";
      req.on("data", (c: Buffer) => {
        body += c.toString();
      });
      req.on("end", () => {
        seen.push({ authorization: req.headers.authorization, groups: req.headersDistinct["impersonate-group"], body, path: req.url ?? "" });
        res.setHeader("content-type", "application/json");
        if (req.headers.authorization !== accepted) {
          res.statusCode = 401;
          res.end(JSON.stringify({ kind: "Status", status: "Failure", reason: "Unauthorized", message: "Unauthorized", code: 401 }));
        } else if (req.url?.includes("watch=1")) {
          res.end(`${JSON.stringify({ type: "ADDED", object: { metadata: { name: "a" } } })}\n`);
        } else {
          res.end(JSON.stringify({ metadata: { name: "a" }, body }));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /** A configuration whose credentials turn from "stale" to `afterRefresh` when refreshed; records what was refused. */
  function rotating(afterRefresh: string, extra: Record<string, string | string[]> = {}) {
    let current: KubeHeaders = { authorization: "Bearer stale", ...extra };
    const refused: KubeHeaders[] = [];
    const config: KubeConnectionConfig = {
      server: url,
      tls: { rejectUnauthorized: true },
      auth: async () => current,
      refreshCredentials: async (r) => {
        refused.push(r);
        current = { authorization: afterRefresh, ...extra };
      },
    };
    return { client: new KubeClient(config), refused };
  }

  it("a 401 refreshes the credentials and sends the request once more, body and all", async () => {
    seen.length = 0;
    const { client, refused } = rotating("Bearer fresh", { "impersonate-user": "jane", "impersonate-group": ["devs", "ops"] });
    try {
      const created = await client.create(configMaps, { metadata: { name: "a", namespace: "ns" }, data: { k: "v" } } as never);
      expect(created).toMatchObject({ metadata: { name: "a" } });
      expect(seen.map((s) => s.authorization)).toEqual(["Bearer stale", "Bearer fresh"]);
      expect(seen[1]!.body, "the retry carries the same body").toBe(seen[0]!.body);
      expect(seen[1]!.groups, "a list header is sent as one header per value").toEqual(["devs", "ops"]);
      expect(refused, "the refused credentials are named to the source").toEqual([
        { authorization: "Bearer stale", "impersonate-user": "jane", "impersonate-group": ["devs", "ops"] },
      ]);
    } finally {
      await client.close();
    }
  });

  it("a watch refused with 401 is opened again with fresh credentials", async () => {
    seen.length = 0;
    const { client } = rotating("Bearer fresh");
    try {
      const events = [];
      for await (const event of client.watch(configMaps, { resourceVersion: "1", namespace: "ns" })) events.push(event.type);
      expect(events).toEqual(["ADDED"]);
      expect(seen.map((s) => s.authorization)).toEqual(["Bearer stale", "Bearer fresh"]);
    } finally {
      await client.close();
    }
  });

  it("retries once only: credentials the server still refuses end in the 401, not a loop", async () => {
    seen.length = 0;
    const { client, refused } = rotating("Bearer still-wrong");
    try {
      const error = await client.get(configMaps, "ns", "a").then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(KubeApiError);
      expect((error as KubeApiError).status).toBe(401);
      expect(seen.length).toBe(2);
      expect(refused.length).toBe(1);
    } finally {
      await client.close();
    }
  });

  it("a configuration that cannot refresh (static credentials) gets its 401 at once", async () => {
    seen.length = 0;
    const client = new KubeClient({ server: url, tls: { rejectUnauthorized: true }, auth: async () => ({ authorization: "Bearer stale" }) });
    try {
      await expect(client.get(configMaps, "ns", "a")).rejects.toMatchObject({ status: 401 });
      expect(seen.length).toBe(1);
    } finally {
      await client.close();
    }
  });
});
