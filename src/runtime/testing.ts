// Test support: resource types and builders for the runtime's own unit tests (the runtime does not import api/).
import type { KubeObject, ResourceType } from "./kube/resource.ts";

export const widgets: ResourceType = { group: "example.test", version: "v1", plural: "widgets", kind: "Widget", namespaced: true };

export interface Widget extends KubeObject {
  spec?: { size?: number; ref?: string };
  status?: { phase?: string; note?: string; conditions?: Array<{ type: string; status: string }> };
}

export const widget = (name: string, over: Partial<Widget> = {}): Widget => ({
  metadata: { name, namespace: "team", ...(over.metadata ?? {}) },
  spec: { size: 1, ...(over.spec ?? {}) },
  ...(over.status ? { status: over.status } : {}),
});
