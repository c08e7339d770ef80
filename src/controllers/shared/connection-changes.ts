// Pure decisions about connection and namespace events: does this change matter to the resources
// using the connection, and does it move a ClusterVendorConnection's admission of a namespace?
import { type ClusterVendorConnection, ConditionType, matchesLabelSelector } from "../../api/v1alpha1/index.ts";
import type { KubeObject } from "../../runtime/kube/resource.ts";
import { type NamespaceState, namespaceStateOf } from "./connection-namespaces.ts";

interface ConnectionObject extends KubeObject {
  spec?: { namespaceSelector?: ClusterVendorConnection["spec"]["namespaceSelector"] };
  status?: { credentialsResourceVersion?: string; conditions?: Array<{ type: string; status: string }> };
}

/**
 * Does this connection event matter to the resources using it? Yes for creation and removal, an
 * edit or touch (generation, labels, annotations), deletion starting, new credentials verified
 * (status.credentialsResourceVersion), and Ready flipping. No for every other status write
 * (lastVerifiedTime, the consumer count, condition timestamps) and for finalizer changes.
 */
export function connectionChangeMatters(current: KubeObject | undefined, previous: KubeObject | undefined): boolean {
  if (current === undefined || previous === undefined) return true;
  const a = current as ConnectionObject;
  const b = previous as ConnectionObject;
  if (a.metadata.uid !== b.metadata.uid || a.metadata.generation !== b.metadata.generation) return true;
  if ((a.metadata.deletionTimestamp === undefined) !== (b.metadata.deletionTimestamp === undefined)) return true;
  if (JSON.stringify(a.metadata.labels ?? {}) !== JSON.stringify(b.metadata.labels ?? {})) return true;
  if (JSON.stringify(a.metadata.annotations ?? {}) !== JSON.stringify(b.metadata.annotations ?? {})) return true;
  if (a.status?.credentialsResourceVersion !== b.status?.credentialsResourceVersion) return true;
  return readyOf(a) !== readyOf(b);
}

const readyOf = (c: ConnectionObject) => c.status?.conditions?.find((x) => x.type === ConditionType.Ready)?.status;

/** Does a ClusterVendorConnection admit a namespace with these labels? Undefined labels: unknown, so yes (hold, never drop). */
export function admits(connection: KubeObject | undefined, labels: Readonly<Record<string, string>> | undefined): boolean {
  if (connection === undefined) return false;
  if (labels === undefined) return true;
  const selector = (connection as ConnectionObject).spec?.namespaceSelector;
  return selector !== undefined && matchesLabelSelector(selector, labels);
}

export type NamespaceChange = {
  readonly admissionOf: (connection: KubeObject | undefined) => { before: boolean; after: boolean };
  readonly startedTerminating: boolean;
};

/** What a namespace event changes: admission per connection (labels), and whether teardown just began. */
export function namespaceChange(current: KubeObject | undefined, previous: KubeObject | undefined): NamespaceChange {
  const now: NamespaceState | undefined = current === undefined ? undefined : namespaceStateOf(current);
  const before: NamespaceState | undefined = previous === undefined ? undefined : namespaceStateOf(previous);
  return {
    admissionOf: (connection) => ({ before: admits(connection, before?.labels), after: admits(connection, now?.labels) }),
    startedTerminating: now?.terminating === true && before?.terminating !== true && previous !== undefined,
  };
}
