// The KubeApi a simulated operator process gets: every call parks in the scheduler and then reaches
// the model (or fails, or loses its answer). Calls are attributed to the reconcile task making them:
// a task touching another namespace is a tenancy violation, and an answer showing the task's own
// resource being deleted is remembered (for the no-order-after-delete invariant).
import type { KubeApi } from "../../../src/runtime/kube/api.ts";
import type { KubeObject, ResourceType } from "../../../src/runtime/kube/resource.ts";
import { FIELD_MANAGER } from "../../../src/api/v1alpha1/labels.ts";
import { kubeLost, kubeRefused } from "../faults.ts";
import { Invariant, type Ledger } from "../ledger.ts";
import type { Rng } from "../rng.ts";
import { currentTask, type Scheduler, type Task } from "../scheduler.ts";
import type { Actor, KubeModel } from "./model.ts";

/** Namespaces any task may use (the operator's own, where it keeps retained credentials). */
export interface FacadeOptions {
  readonly operatorNamespace: string;
}

export function kubeFacade(s: Scheduler, model: KubeModel, rng: Rng, ledger: Ledger, opts: FacadeOptions): KubeApi {
  const actorOf = (task: Task | undefined): Actor => ({
    kind: "operator",
    ...(task ? { namespace: task.info.namespace } : {}),
    label: task?.info.key ?? "operator",
  });
  const path = (type: ResourceType, namespace: string | undefined, name: string) => `${type.plural}/${namespace ? `${namespace}/` : ""}${name}`;

  /** Checks the namespace of the call against the task's; returns the task. */
  const attribute = (type: ResourceType, namespace: string | undefined, what: string): Task | undefined => {
    const task = currentTask();
    if (task !== undefined && type.namespaced && namespace !== undefined && namespace !== task.info.namespace && namespace !== opts.operatorNamespace) {
      ledger.flag(Invariant.NoCrossNamespaceAccess, `${task.info.key} ${what} ${path(type, namespace, "")} in another namespace`);
    }
    return task;
  };

  /** Remembers when an answer shows the task's own resource being deleted. */
  const observe = (type: ResourceType) => (task: Task, result: unknown) => {
    const o = result as KubeObject | undefined;
    if (o?.metadata?.deletionTimestamp === undefined) return;
    if (
      `${o.metadata.namespace}/${o.metadata.name}` === task.info.key &&
      type.plural === (task.info.controller === "managedcertificate" ? "managedcertificates" : "provisioningkeys")
    ) {
      task.sawDeletion = true;
    }
  };

  return {
    get: <T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string) => {
      attribute(type, namespace, "GET");
      return s.op<T>({
        kind: "kube",
        label: `GET ${path(type, namespace, name)}`,
        effect: () => model.get<T>(type, namespace, name),
        fail: () => kubeRefused(rng, "GET", path(type, namespace, name)),
        observe: observe(type),
      });
    },
    list: () => Promise.reject(new Error("LIST is not modelled: reconcilers read lists from their caches")),
    create: <T extends KubeObject>(type: ResourceType, object: T) => {
      const ns = object.metadata.namespace;
      const task = attribute(type, ns, "POST");
      const p = path(type, ns, object.metadata.name ?? "");
      return s.op<T>({
        kind: "kube",
        label: `POST ${p}`,
        effect: () => model.create(type, object, actorOf(task), FIELD_MANAGER),
        fail: () => kubeRefused(rng, "POST", p),
        lost: () => kubeLost(rng, "POST", p),
      });
    },
    apply: <T extends KubeObject>(type: ResourceType, object: T, o: { subresource?: "status" } = {}) => {
      const ns = object.metadata.namespace;
      const task = attribute(type, ns, "APPLY");
      const p = `${path(type, ns, object.metadata.name ?? "")}${o.subresource ? "/status" : ""}${object.metadata.resourceVersion ? ` rv=${object.metadata.resourceVersion}` : ""}`;
      return s.op<T>({
        kind: "kube",
        label: `APPLY ${p}`,
        effect: () => model.apply(type, object, o.subresource, actorOf(task), FIELD_MANAGER),
        fail: () => kubeRefused(rng, "PATCH", p),
        lost: () => kubeLost(rng, "PATCH", p),
        observe: observe(type),
      });
    },
    mergePatch: <T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string, patch: unknown, o: { subresource?: string } = {}) => {
      const task = attribute(type, namespace, "PATCH");
      const p = `${path(type, namespace, name)} ${JSON.stringify(patch).slice(0, 120)}`;
      return s.op<T>({
        kind: "kube",
        label: `PATCH ${p}`,
        effect: () => model.mergePatch<T>(type, namespace, name, patch, o.subresource, actorOf(task)),
        fail: () => kubeRefused(rng, "PATCH", p),
        lost: () => kubeLost(rng, "PATCH", p),
        observe: observe(type),
      });
    },
    delete: (type: ResourceType, namespace: string | undefined, name: string, o: { preconditionUid?: string } = {}) => {
      const task = attribute(type, namespace, "DELETE");
      const p = path(type, namespace, name);
      return s.op<void>({
        kind: "kube",
        label: `DELETE ${p}`,
        effect: () => model.delete(type, namespace, name, o.preconditionUid, actorOf(task)),
        fail: () => kubeRefused(rng, "DELETE", p),
        lost: () => kubeLost(rng, "DELETE", p),
      });
    },
  };
}
