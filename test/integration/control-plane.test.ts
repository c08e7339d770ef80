import { describe, expect, inject, it } from "vitest";
import { KubeClient } from "../../src/runtime/kube/client.ts";
import { core } from "../../src/runtime/kube/resource.ts";

describe("test control plane", () => {
  it("is a real kube-apiserver with RBAC and namespaces", async () => {
    const client = KubeClient.fromFile(inject("kubeconfigPath"));
    try {
      const version = await client.call<{ gitVersion: string }>("GET", "/version");
      expect(version.gitVersion).toBe(inject("apiServerVersion"));
      expect(version.gitVersion).toMatch(/^v1\.\d+\.\d+/);
      const ns = await client.get(core.namespaces, undefined, "default");
      expect(ns.metadata.name).toBe("default");
    } finally {
      await client.close();
    }
  });
});
