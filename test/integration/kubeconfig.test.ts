// `certbridge run` (a real process) against the real API server with kubeconfigs that only work if
// the kubeconfig path applies them: an exec credential plugin (whose first credential is refused, so
// the 401 refresh is exercised), `as:`/`as-groups:` impersonation, and `proxy-url` through a CONNECT
// proxy this test runs — the only route to a server name nothing else resolves.
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dump, load } from "js-yaml";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { KubeClient } from "../../src/runtime/kube/client.ts";
import { isForbidden } from "../../src/runtime/kube/errors.ts";
import { type KubeObject, type ResourceType, core } from "../../src/runtime/kube/resource.ts";
import { adminClient, eventually, freshNamespace } from "../harness/kube.ts";
import { startOperatorProcess } from "../harness/operator-process.ts";
import { type RbacObject, waitForGrants } from "./rbac-grants.ts";

const types = {
  serviceAccounts: { group: "", version: "v1", plural: "serviceaccounts", kind: "ServiceAccount", namespaced: true },
  clusterRoles: { group: "rbac.authorization.k8s.io", version: "v1", plural: "clusterroles", kind: "ClusterRole", namespaced: false },
  clusterRoleBindings: { group: "rbac.authorization.k8s.io", version: "v1", plural: "clusterrolebindings", kind: "ClusterRoleBinding", namespaced: false },
} as const satisfies Record<string, ResourceType>;

interface KubeconfigDoc {
  clusters: Array<{ name: string; cluster: Record<string, unknown> }>;
  users: Array<{ name: string; user: Record<string, unknown> }>;
}

let admin: KubeClient;
const scratch = mkdtempSync(join(tmpdir(), "certbridge-kubeconfig-"));
const id = randomBytes(3).toString("hex");
const adminDoc = (): KubeconfigDoc => load(readFileSync(inject("kubeconfigPath"), "utf8")) as KubeconfigDoc;
const writeKubeconfig = (name: string, doc: KubeconfigDoc): string => {
  const path = join(scratch, `${name}.kubeconfig`);
  writeFileSync(path, dump(doc), { mode: 0o600 });
  return path;
};

beforeAll(() => {
  admin = adminClient();
});
afterAll(async () => {
  await admin?.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** Runs `certbridge run` until /readyz answers 200 (caches synced over this kubeconfig), then stops it. */
async function runUntilReady(kubeconfig: string): Promise<{ logs: string[]; readyAfterMs: number }> {
  const ns = await freshNamespace(admin, "kc");
  const started = Date.now();
  // Only its own namespace: a leader watching every namespace would reconcile other files' resources.
  const operator = startOperatorProcess(["--kubeconfig", kubeconfig, "--leader-election-namespace", ns, "--namespaces", ns]);
  try {
    const exited = operator.exited().then((code) => {
      throw new Error(`certbridge run exited (${code}):\n${operator.logs.join("\n")}`);
    });
    const port = await Promise.race([operator.port, exited]);
    await eventually(
      "certbridge is ready",
      async () => {
        const res = await request(`http://127.0.0.1:${port}/readyz`);
        await res.body.dump();
        return res.statusCode === 200;
      },
      30_000,
    );
    // Readiness does not wait for leadership: wait for the lease too, a write over the same credentials.
    await eventually(
      "certbridge holds the lease",
      async () => (await admin.get<KubeObject & { spec?: { holderIdentity?: string } }>(core.leases, ns, "certbridge-leader")).spec?.holderIdentity,
      30_000,
    );
    return { logs: operator.logs, readyAfterMs: Date.now() - started };
  } finally {
    if (operator.child.exitCode === null) {
      operator.child.kill("SIGTERM");
      await operator.exited();
    }
  }
}

describe("certbridge run with a kubeconfig (client-node applies it, our transport sends it)", () => {
  it("an exec credential plugin: its token works, and when the first one it hands out is refused (401) the plugin runs again", async () => {
    // A service account bound to cluster-admin; its token (TokenRequest) is what the plugin prints from the second run on.
    const ns = await freshNamespace(admin, "kc-exec");
    const name = `exec-${id}`;
    await admin.create(types.serviceAccounts, { metadata: { name, namespace: ns } });
    await admin.create(types.clusterRoleBindings, {
      metadata: { name: `certbridge-kubeconfig-exec-${id}` },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
      subjects: [{ kind: "ServiceAccount", name, namespace: ns }],
    } as KubeObject);
    const issued = await admin.call<{ status: { token: string } }>("POST", `/api/v1/namespaces/${ns}/serviceaccounts/${name}/token`, {
      body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 3600 } },
    });
    const tokenFile = join(scratch, "sa.token");
    writeFileSync(tokenFile, issued.status.token, { mode: 0o600 });

    const plugin = join(scratch, "exec-plugin.mjs");
    const runs = join(scratch, "exec-runs");
    // The first credential is refused but unexpired for an hour: only a refresh after the 401 gets a good one.
    writeFileSync(
      plugin,
      `import { existsSync, readFileSync, writeFileSync } from "node:fs";
const n = (existsSync(process.env.RUNS) ? Number(readFileSync(process.env.RUNS, "utf8")) : 0) + 1;
writeFileSync(process.env.RUNS, String(n));
const info = JSON.parse(process.env.KUBERNETES_EXEC_INFO ?? "{}");
const token = n === 1 ? "refused-" + n : readFileSync(process.env.TOKEN_FILE, "utf8");
process.stdout.write(JSON.stringify({ apiVersion: info.apiVersion, kind: "ExecCredential",
  status: { token, expirationTimestamp: new Date(Date.now() + 3600000).toISOString() } }));
`,
    );
    const doc = adminDoc();
    doc.users[0]!.user = {
      exec: {
        apiVersion: "client.authentication.k8s.io/v1",
        command: process.execPath,
        args: [plugin],
        env: [
          { name: "RUNS", value: runs },
          { name: "TOKEN_FILE", value: tokenFile },
        ],
        interactiveMode: "Never",
      },
    };
    const { readyAfterMs } = await runUntilReady(writeKubeconfig("exec", doc));
    expect(Number(readFileSync(runs, "utf8")), "run 1 refused, run 2 accepted (and kept: it is unexpired)").toBe(2);
    process.stdout.write(`exec plugin kubeconfig: ready after ${readyAfterMs} ms\n`);
  });

  it("`as:` and `as-groups:` impersonation: the admin's client certificate acts as a restricted user whose only rights come through the impersonated group", async () => {
    const user = `impersonated-${id}`;
    const group = `certbridge-operators-${id}`;
    // What certbridge needs, and nothing of RBAC itself: listing ClusterRoles stays forbidden. With
    // cert-manager's CRDs installed (other files install them on the shared control plane) the operator
    // also serves CertificateRequests, and its caches (and /readyz) wait for them, and for the watches
    // on the CRDs that say whether they are served.
    const role = await admin.create(types.clusterRoles, {
      metadata: { name: `certbridge-kubeconfig-${id}` },
      rules: [
        { apiGroups: ["", "certbridge.dev", "events.k8s.io", "coordination.k8s.io", "cert-manager.io"], resources: ["*"], verbs: ["*"] },
        // The cert-manager front end's detection watches these CRDs, by name (as the chart grants).
        {
          apiGroups: ["apiextensions.k8s.io"],
          resources: ["customresourcedefinitions"],
          resourceNames: ["vendorissuers.certbridge.dev", "clustervendorissuers.certbridge.dev", "certificaterequests.cert-manager.io"],
          verbs: ["list", "watch"],
        },
      ],
    } as KubeObject);
    const binding = await admin.create(types.clusterRoleBindings, {
      metadata: { name: `certbridge-kubeconfig-${id}` },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: `certbridge-kubeconfig-${id}` },
      subjects: [{ kind: "Group", name: group, apiGroup: "rbac.authorization.k8s.io" }],
    } as KubeObject);
    // Enforced from the API server's cache: the "allowed" below only once the binding is.
    await waitForGrants(admin, { user, groups: [group] }, [
      { kind: "ClusterRole", ...role },
      { kind: "ClusterRoleBinding", ...binding },
    ] as unknown as RbacObject[]);
    const doc = adminDoc();
    doc.users[0]!.user = { ...doc.users[0]!.user, as: user, "as-groups": [group] };
    const path = writeKubeconfig("impersonating", doc);

    // The same construction the CLI uses (KubeClient.fromDefault with --kubeconfig).
    const impersonating = KubeClient.fromDefault({ kubeconfig: path });
    try {
      await admin.list(types.clusterRoles, { limit: 1 }); // the admin itself may
      const error = await impersonating.list(types.clusterRoles, { limit: 1 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isForbidden(error), "forbidden once impersonating").toBe(true);
      expect(String((error as Error).message)).toContain(`User "${user}" cannot list resource "clusterroles"`);
      const listed = await impersonating.list(core.namespaces, { limit: 1 });
      expect(listed.items.length, "allowed: through the impersonated group's binding only").toBeGreaterThan(0);
    } finally {
      await impersonating.close();
    }
    await runUntilReady(path);
  });

  it("`proxy-url`: every connection goes through the CONNECT proxy to a server name only the proxy knows (and tls-server-name verifies the certificate)", async () => {
    const apiPort = new URL(adminDoc().clusters[0]!.cluster.server as string).port;
    const proxyOnlyHost = "kube-apiserver.proxy.test"; // .test never resolves: a direct connection cannot succeed
    const proxy = await startConnectProxy({ [`${proxyOnlyHost}:${apiPort}`]: { host: "127.0.0.1", port: Number(apiPort) } });
    try {
      const doc = adminDoc();
      doc.clusters[0]!.cluster = {
        ...doc.clusters[0]!.cluster,
        server: `https://${proxyOnlyHost}:${apiPort}`,
        "tls-server-name": "localhost", // a name in the API server's certificate
        "proxy-url": proxy.url,
      };
      await runUntilReady(writeKubeconfig("proxied", doc));
      expect(proxy.tunnels.length, "list + watches + lease: several tunnels").toBeGreaterThan(1);
      expect(new Set(proxy.tunnels)).toEqual(new Set([`${proxyOnlyHost}:${apiPort}`]));
    } finally {
      await proxy.close();
    }
  });
});

/** An HTTP CONNECT proxy that knows some names the resolver does not, and records each tunnel's target. */
async function startConnectProxy(routes: Record<string, { host: string; port: number }>): Promise<{ url: string; tunnels: string[]; close(): Promise<void> }> {
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((_req, res) => {
    res.statusCode = 405;
    res.end();
  });
  server.on("connect", (req, client: Socket, head: Buffer) => {
    const target = req.url ?? "";
    const route = routes[target];
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => client.destroy());
    if (!route) {
      client.end("HTTP/1.1 403 Forbidden\r\n\r\n");
      return;
    }
    tunnels.push(target);
    const upstream = connect(route.port, route.host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on("close", () => {
      sockets.delete(upstream);
      client.destroy();
    });
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    tunnels,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
