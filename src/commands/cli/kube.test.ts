import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { KubeApiError } from "../../runtime/kube/errors.ts";
import { connect, describeFailure } from "./kube.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function kubeconfig(namespace?: string): string {
  const dir = mkdtempSync(join(tmpdir(), "cli-kube-"));
  dirs.push(dir);
  const path = join(dir, "config");
  const ctx = (name: string, ns?: string) => `- name: ${name}\n  context: { cluster: c, user: u${ns ? `, namespace: ${ns}` : ""} }`;
  writeFileSync(
    path,
    `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: "https://127.0.0.1:6443" } }]
users: [{ name: u, user: { token: t } }]
contexts:
${ctx("main", namespace)}
${ctx("other", "elsewhere")}
current-context: main
`,
  );
  return path;
}

describe("kube access", () => {
  const cases = [
    { why: "the context's namespace, as kubectl", ns: "web", flags: {}, want: "web" },
    { why: "-n wins over the context", ns: "web", flags: { namespace: "payments" }, want: "payments" },
    { why: "default without either", ns: undefined, flags: {}, want: "default" },
    { why: "--context picks another context and its namespace", ns: undefined, flags: { context: "other" }, want: "elsewhere" },
  ];
  it.each(cases)("namespace: $why", async ({ ns, flags, want }) => {
    const access = connect({ kubeconfig: kubeconfig(ns), ...flags }, { env: {} });
    expect(access.namespace).toBe(want);
    await access.client.close();
  });

  it("KUBECONFIG is read like the operator reads it, and a bad kubeconfig is exit 4 with the loader's words", () => {
    const access = connect({}, { env: { KUBECONFIG: kubeconfig("web") } });
    expect([access.namespace, access.server]).toEqual(["web", "https://127.0.0.1:6443"]);
    expect(() => connect({ kubeconfig: "/nonexistent/config" }, { env: {} })).toThrow(
      expect.objectContaining({ exitCode: 4, message: expect.stringContaining("does not exist") }),
    );
  });

  it("failures reaching the cluster are exit 4, refused access says so", () => {
    const refused = new KubeApiError({ status: 403, reason: "Forbidden", message: "nope", method: "GET", path: "/x" });
    expect(describeFailure(refused, undefined)).toMatchObject({ exitCode: 4, message: expect.stringMatching(/^access refused/) });
    const network = Object.assign(new Error("connect failed"), { code: "ECONNREFUSED" });
    expect(describeFailure(network, "https://127.0.0.1:1").message).toBe("cannot reach the API server at https://127.0.0.1:1: ECONNREFUSED");
  });
});
