// RBAC is enforced from the API server's informer cache, so a Role or binding just written may not be
// enforced yet for a moment (Kubernetes' own e2e framework waits for it: WaitForNamedAuthorizationUpdate).
// Tests that act, or ask `kubectl auth can-i`, as an identity right after binding it wait here until every
// binding they wrote is enforced: one SubjectAccessReview per binding, through the same authorizer, for
// the first rule of the role it names (a role and its binding arrive in the cache each as a whole).
import type { KubeClient } from "../../src/runtime/kube/client.ts";
import { eventually } from "../harness/kube.ts";

export interface RbacObject {
  readonly kind: string;
  readonly metadata: { readonly name?: string; readonly namespace?: string };
  readonly rules?: ReadonlyArray<{ apiGroups?: string[]; resources?: string[]; resourceNames?: string[]; verbs?: string[] }>;
  readonly roleRef?: { readonly kind: string; readonly name: string };
}

interface ResourceAttributes {
  namespace?: string;
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  name?: string;
}

/** One question per binding among `objects` whose role is among them too: may `user` do the role's first rule? */
export function grantProbes(objects: readonly RbacObject[], defaultNamespace?: string): ResourceAttributes[] {
  const probes: ResourceAttributes[] = [];
  for (const binding of objects.filter((o) => o.kind === "RoleBinding" || o.kind === "ClusterRoleBinding")) {
    const namespace = binding.kind === "RoleBinding" ? (binding.metadata.namespace ?? defaultNamespace) : undefined;
    const role = objects.find(
      (o) =>
        o.kind === binding.roleRef?.kind &&
        o.metadata.name === binding.roleRef.name &&
        (o.kind === "ClusterRole" || (o.metadata.namespace ?? defaultNamespace) === namespace),
    );
    const rule = role?.rules?.find((r) => (r.resources ?? []).length > 0 && (r.verbs ?? []).length > 0);
    if (rule === undefined) continue; // a built-in role, or one with non-resource URLs only: nothing of ours to wait for
    const [resource, subresource] = rule.resources![0]!.split("/");
    probes.push({
      ...(namespace === undefined ? {} : { namespace }),
      verb: rule.verbs![0]!,
      group: rule.apiGroups?.[0] ?? "",
      resource: resource!,
      ...(subresource === undefined ? {} : { subresource }),
      ...(rule.resourceNames?.[0] === undefined ? {} : { name: rule.resourceNames[0] }),
    });
  }
  return probes;
}

/** Who the bindings are for: a user name, and the groups it acts in (bindings may name either). */
export interface Subject {
  readonly user: string;
  readonly groups?: readonly string[];
}

/** Waits until the API server's authorizer enforces every binding among `objects` for `subject`. */
export async function waitForGrants(admin: KubeClient, subject: Subject, objects: readonly RbacObject[], defaultNamespace?: string): Promise<void> {
  const probes = grantProbes(objects, defaultNamespace);
  if (probes.length === 0) throw new Error("no binding with a role of its own among the objects: nothing to wait for");
  for (const resourceAttributes of probes) {
    await eventually(
      `RBAC enforces ${resourceAttributes.verb} ${resourceAttributes.resource} for ${subject.user}`,
      async () => {
        const review = await admin.call<{ status?: { allowed?: boolean } }>("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", {
          body: {
            apiVersion: "authorization.k8s.io/v1",
            kind: "SubjectAccessReview",
            spec: { user: subject.user, ...(subject.groups ? { groups: subject.groups } : {}), resourceAttributes },
          },
        });
        return review.status?.allowed === true;
      },
      30_000,
      100,
    );
  }
}

/**
 * The operator's log lines that tell of an RBAC refusal: Kubernetes' reason Forbidden (in every 403's
 * message) or a status field of 403. Not any "403": a random name, a port or a log line's milliseconds
 * can hold those digits.
 */
export function refusals(logs: readonly string[]): string[] {
  return logs.filter((l) => /forbidden/i.test(l) || /"(httpStatus|status|statusCode)":403\b/.test(l));
}
