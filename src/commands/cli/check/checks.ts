// The questions `certbridge check` asks the cluster, one function each, each answering ok / warn /
// fail with a sentence and details. Reading only: nothing is written but access reviews.
import { isDeepStrictEqual } from "node:util";
import { type BuiltCrd, buildCrds } from "../../../api/crdgen/crds.ts";
import { VERSION } from "../../../api/v1alpha1/group.ts";
import type { KubeClient } from "../../../runtime/kube/client.ts";
import { isForbidden } from "../../../runtime/kube/errors.ts";
import { core } from "../../../runtime/kube/resource.ts";
import { getOptional } from "../kube.ts";
import type { LeaseObject } from "../objects.ts";
import { relative } from "../time.ts";
import { type Access, CLUSTER_SCOPED, accessesOf, operatorGrants } from "./grants.ts";

export interface CheckResult {
  readonly check: "api" | "identity" | "crds" | "operator" | "rbac";
  readonly outcome: "ok" | "warn" | "fail";
  readonly summary: string;
  readonly details: readonly string[];
}

const result = (check: CheckResult["check"], outcome: CheckResult["outcome"], summary: string, details: readonly string[] = []): CheckResult => ({
  check,
  outcome,
  summary,
  details,
});

/** The API server answers /version (throws when it cannot be reached: nothing else can be checked then). */
export async function checkApi(client: KubeClient, context: string | undefined): Promise<CheckResult> {
  const version = await client.call<{ gitVersion?: string }>("GET", "/version", { timeoutMs: 10_000 });
  return result("api", "ok", `API server ${client.server} reachable (Kubernetes ${version.gitVersion ?? "?"})${context ? `, context "${context}"` : ""}`);
}

/** Who the cluster takes us for (SelfSubjectReview). */
export async function checkIdentity(client: KubeClient): Promise<CheckResult> {
  try {
    const review = await client.call<{ status?: { userInfo?: { username?: string; groups?: string[] } } }>(
      "POST",
      "/apis/authentication.k8s.io/v1/selfsubjectreviews",
      { body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" } },
    );
    const u = review.status?.userInfo;
    return result("identity", "ok", `identity: ${u?.username ?? "(anonymous)"}${u?.groups?.length ? ` (groups: ${u.groups.join(", ")})` : ""}`);
  } catch (error) {
    return result("identity", "warn", `identity: the API server would not say (${error instanceof Error ? error.message : String(error)})`);
  }
}

interface LiveCrd {
  metadata: { name?: string };
  spec?: { versions?: Array<{ name: string; served?: boolean; storage?: boolean; schema?: { openAPIV3Schema?: unknown } }> };
  status?: { conditions?: Array<{ type: string; status: string }>; storedVersions?: string[] };
}

/** One CRD against the one this certbridge generates: established, our version served and stored, the same schema. */
export function judgeCrd(expected: BuiltCrd, live: LiveCrd | undefined): string | undefined {
  const name = String((expected.crd.metadata as { name: string }).name);
  if (live === undefined) return `${name}: not installed`;
  const established = live.status?.conditions?.some((c) => c.type === "Established" && c.status === "True");
  if (!established) return `${name}: not Established`;
  const version = live.spec?.versions?.find((v) => v.name === VERSION);
  if (version === undefined || !version.served) return `${name}: ${VERSION} is not served`;
  if (!version.storage) return `${name}: ${VERSION} is not the storage version`;
  const want = (expected.crd.spec as { versions: Array<{ schema: { openAPIV3Schema: unknown } }> }).versions[0]!.schema.openAPIV3Schema;
  if (!isDeepStrictEqual(version.schema?.openAPIV3Schema, want)) return `${name}: the schema differs from this certbridge's (older or newer CRDs installed)`;
  return undefined;
}

export async function checkCrds(client: KubeClient): Promise<CheckResult> {
  const expected = buildCrds();
  const problems: string[] = [];
  for (const crd of expected) {
    const name = String((crd.crd.metadata as { name: string }).name);
    try {
      const problem = judgeCrd(crd, await getOptional<LiveCrd & { metadata: { name?: string } }>(client, core.customResourceDefinitions, undefined, name));
      if (problem) problems.push(problem);
    } catch (error) {
      problems.push(`${name}: cannot read it (${isForbidden(error) ? "access refused" : error instanceof Error ? error.message : String(error)})`);
    }
  }
  if (problems.length === 0) return result("crds", "ok", `CRDs: all ${expected.length} installed, ${VERSION} served and stored, schemas match this certbridge`);
  return result(
    "crds",
    "fail",
    `CRDs: ${problems.length} of ${expected.length} not as this certbridge expects; apply crds/ from this version (or upgrade the chart)`,
    problems,
  );
}

/** Slack for clocks that differ between this machine and the leader's. */
const SKEW_MS = 5_000;

/** Someone holds the leader Lease and renewed it within its duration. */
export function judgeLease(lease: LeaseObject | undefined, where: string, now: Date): CheckResult {
  if (lease === undefined)
    return result(
      "operator",
      "fail",
      `operator: no leader Lease ${where}: no replica runs there (or it runs elsewhere: --operator-namespace, or with --leader-elect=false)`,
    );
  const holder = lease.spec?.holderIdentity;
  const renewed = lease.spec?.renewTime ?? undefined;
  const durationMs = (lease.spec?.leaseDurationSeconds ?? 15) * 1000;
  if (!holder) return result("operator", "fail", `operator: the leader Lease ${where} is free: no replica is leading (released on the last shutdown)`);
  const age = renewed === undefined ? Number.POSITIVE_INFINITY : now.getTime() - Date.parse(renewed);
  if (age > durationMs + SKEW_MS)
    return result(
      "operator",
      "fail",
      `operator: ${holder} last renewed the leader Lease ${where} ${relative(renewed, now) || "never"}: no replica is leading now`,
    );
  const transitions = lease.spec?.leaseTransitions;
  return result(
    "operator",
    "ok",
    `operator: ${holder} is leading (Lease ${where} renewed ${relative(renewed, now)}${transitions ? `, ${transitions} leader changes` : ""})`,
  );
}

export async function checkOperator(client: KubeClient, namespace: string, leaseName: string, now: Date): Promise<CheckResult> {
  const where = `${namespace}/${leaseName}`;
  try {
    return judgeLease(await getOptional<LeaseObject>(client, core.leases, namespace, leaseName), where, now);
  } catch (error) {
    return result("operator", "warn", `operator: cannot read the leader Lease ${where} (${isForbidden(error) ? "access refused" : String(error)})`);
  }
}

const describeAccess = (a: Access, where: string): string =>
  `${a.verb} ${a.group ? `${a.group}/` : ""}${a.resource}${a.subresource ? `/${a.subresource}` : ""}${a.resourceName ? ` (the Lease only)` : ""}${a.name ? ` ${a.name}` : ""} ${where}`;

/** SelfSubjectAccessReview for every verb the chart grants: can the current identity do what the operator does? */
export async function checkRbac(client: KubeClient, o: { namespace: string | undefined; operatorNamespace: string; leaseName: string }): Promise<CheckResult> {
  const accesses = accessesOf(operatorGrants);
  const answers = await Promise.all(
    accesses.map(async (a) => {
      const namespace = a.scope === "operator" ? o.operatorNamespace : CLUSTER_SCOPED.has(a.resource) ? undefined : o.namespace;
      const where = a.scope === "operator" ? `in ${o.operatorNamespace}` : namespace ? `in ${namespace}` : "cluster-wide";
      const review = await client.call<{ status?: { allowed?: boolean } }>("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", {
        body: {
          apiVersion: "authorization.k8s.io/v1",
          kind: "SelfSubjectAccessReview",
          spec: {
            resourceAttributes: {
              verb: a.verb,
              group: a.group,
              resource: a.resource,
              ...(a.subresource ? { subresource: a.subresource } : {}),
              ...(namespace ? { namespace } : {}),
              ...(a.resourceName ? { name: o.leaseName } : a.name ? { name: a.name } : {}),
            },
          },
        },
      });
      return { what: describeAccess(a, where), allowed: review.status?.allowed === true };
    }),
  );
  const denied = answers.filter((a) => !a.allowed).map((a) => `cannot ${a.what}`);
  const scope = `${o.namespace ? `in namespace ${o.namespace}` : "cluster-wide"}, leader election in ${o.operatorNamespace}`;
  if (denied.length === 0)
    return result("rbac", "ok", `RBAC: the current identity may do all ${answers.length} things the chart grants the operator (${scope})`);
  return result(
    "rbac",
    "fail",
    `RBAC: the current identity may not do ${denied.length} of the ${answers.length} things the chart grants the operator (${scope})`,
    denied,
  );
}
