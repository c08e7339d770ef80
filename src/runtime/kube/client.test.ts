import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import type { TLSSocket } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ClientCredentials, type ControlPlanePki, createPki, issueClientCredentials } from "../../../test/harness/pki.ts";
import { KubeClient } from "./client.ts";
import type { KubeConnectionConfig } from "./config.ts";

describe("KubeClient transport", () => {
  const dir = mkdtempSync(join(tmpdir(), "kubeclient-test-"));
  let pki: ControlPlanePki;
  let alice: ClientCredentials;
  let bob: ClientCredentials;
  let server: Server;
  let url = "";
  let connections = 0;

  beforeAll(async () => {
    pki = await createPki(dir);
    alice = await issueClientCredentials(pki, "alice", []);
    bob = await issueClientCredentials(pki, "bob", []);
    // Echoes who connected (client certificate CN) and the Authorization header it was sent.
    server = createServer(
      { cert: readFileSync(pki.serverCert), key: readFileSync(pki.serverKey), ca: readFileSync(pki.caCert), requestCert: true, rejectUnauthorized: true },
      (req, res) => {
        const peer = (req.socket as TLSSocket).getPeerCertificate();
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ cn: peer.subject?.CN, authorization: req.headers.authorization ?? null }));
      },
    );
    server.on("secureConnection", () => {
      connections++;
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    url = `https://localhost:${typeof address === "object" && address ? address.port : 0}`;
  }, 60_000);

  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it("rebuilds its agent when an exec plugin's client certificate changes, and only then", async () => {
    let current: ClientCredentials = alice;
    let token = "t1";
    const config: KubeConnectionConfig = {
      server: url,
      tls: { ca: readFileSync(pki.caCert), rejectUnauthorized: true },
      auth: async () => ({ Authorization: `Bearer ${token}` }),
      clientCertificate: async () => ({ cert: Buffer.from(current.certPem), key: Buffer.from(current.keyPem) }),
    };
    const client = new KubeClient(config);
    try {
      const before = connections;
      expect(await client.call("GET", "/whoami")).toEqual({ cn: "alice", authorization: "Bearer t1" });
      token = "t2";
      expect(await client.call("GET", "/whoami"), "a new token needs no new agent").toEqual({ cn: "alice", authorization: "Bearer t2" });
      for (let i = 0; i < 6; i++) await client.call("GET", "/whoami");
      // undici may open a second socket early on; an agent per request would have opened eight.
      expect(connections - before, "same certificate: pooled connections are reused").toBeLessThanOrEqual(2);
      current = bob;
      expect(await client.call("GET", "/whoami"), "the new certificate is presented").toEqual({ cn: "bob", authorization: "Bearer t2" });
      const afterSwitch = connections;
      for (let i = 0; i < 6; i++) expect(await client.call("GET", "/whoami")).toEqual({ cn: "bob", authorization: "Bearer t2" });
      expect(connections - afterSwitch).toBeLessThanOrEqual(1);
    } finally {
      await client.close();
    }
  });

  it("fromDefault treats a kubeconfig value holding a list (the operator's --kubeconfig defaults to $KUBECONFIG) as KUBECONFIG", () => {
    const doc = (server: string, current?: string) =>
      JSON.stringify({
        clusters: [{ name: "c", cluster: { server } }],
        contexts: [{ name: "ctx", context: { cluster: "c" } }],
        ...(current ? { "current-context": current } : {}),
      });
    const first = join(dir, "first.kubeconfig");
    const second = join(dir, "second.kubeconfig");
    writeFileSync(first, doc("https://first:1"));
    writeFileSync(second, doc("https://second:1", "ctx"));
    expect(KubeClient.fromDefault({ kubeconfig: `${first}${delimiter}${second}` }).server).toBe("https://first:1");
    expect(KubeClient.fromDefault({ kubeconfig: second }).server).toBe("https://second:1");
  });

  it("a server override replaces the configuration's server", () => {
    const config: KubeConnectionConfig = { server: "https://a:1", tls: { rejectUnauthorized: true }, auth: async () => ({}) };
    expect(new KubeClient(config, { server: "https://relay:2/" }).server).toBe("https://relay:2");
  });
});
