import { createServer as createHttpServer } from "node:http";
import { createServer } from "node:https";
import { connect, type AddressInfo, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createTestCa } from "../../pki/test-ca.ts";
import { createDispatcher } from "./dispatcher.ts";
import { VendorError } from "./errors.ts";
import { VendorHttp } from "./http.ts";

let url: string;
let caPem: string;
let close: () => Promise<void>;

beforeAll(async () => {
  const ca = await createTestCa({ name: "Dispatcher" });
  caPem = ca.root.certPem;
  const leaf = await ca.issue({ commonName: "localhost" }, { dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] }, { usage: "server" });
  const server = createServer({ key: leaf.keyPem, cert: leaf.leafPem + leaf.chainPem }, (_q, res) =>
    res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}'),
  );
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () =>
    new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
});
afterAll(() => close());

function http(dispatcher: ReturnType<typeof createDispatcher>): VendorHttp {
  return new VendorHttp({
    vendor: "zpa",
    baseUrl: url,
    dispatcher,
    maxAttempts: 1,
    classify: (r) => new VendorError({ kind: "permanent", vendor: "zpa", operation: r.operation, message: "x" }),
  });
}

describe("createDispatcher", () => {
  it("trusts the given CA bundle for the upstream TLS connection", async () => {
    const res = await http(createDispatcher({ caBundlePem: caPem })).request({
      operation: "get",
      method: "GET",
      path: "/",
      schema: z.object({ ok: z.boolean() }),
    });
    expect(res.data.ok).toBe(true);
  });

  it("without the CA the handshake fails as a typed permanent error naming the caBundle (retrying cannot fix trust)", async () => {
    const err = await http(createDispatcher())
      .request({ operation: "get", method: "GET", path: "/", schema: z.unknown() })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VendorError);
    expect(err).toMatchObject({ kind: "permanent" });
    expect((err as Error).message).toContain("caBundle");
  });

  it("tunnels HTTPS through an HTTP proxy with CONNECT, verifying the upstream with the CA bundle", async () => {
    const connects: string[] = [];
    const sockets = new Set<Socket>();
    const proxy = createHttpServer();
    proxy.on("connect", (req, client: Socket, head: Buffer) => {
      connects.push(req.url ?? "");
      const [host, port] = (req.url ?? "").split(":");
      const upstream = connect(Number(port), host, () => {
        client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on("error", () => {});
      }
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    try {
      const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      const res = await http(createDispatcher({ caBundlePem: caPem, proxyUrl })).request({
        operation: "get",
        method: "GET",
        path: "/",
        schema: z.object({ ok: z.boolean() }),
      });
      expect(res.data.ok).toBe(true);
      expect(connects).toEqual([new URL(url).host]);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => proxy.close(r));
    }
  });

  it("builds a proxy agent and rejects unsupported proxy schemes", () => {
    expect(createDispatcher({ proxyUrl: "http://127.0.0.1:3128" }).constructor.name).toBe("ProxyAgent");
    expect(() => createDispatcher({ proxyUrl: "socks5://127.0.0.1:1080" })).toThrow(/unsupported proxy/);
  });
});
