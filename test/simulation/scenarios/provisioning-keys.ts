// ProvisioningKey families against one ZPA tenant: everyday changes and drift, deletion, namespace
// teardown, and tenancy (a namespace naming a key another namespace manages).
import { defaultKeyName } from "../../../src/controllers/provisioningkey/names.ts";
import type { Rng } from "../rng.ts";
import { zpaGroups } from "../vendors/zpa.ts";
import type { World } from "../world.ts";
import { clusterVendorConnection, namespace, pkActions, provisioningKey, sharedActions, vendorConnection, type Family, type UserAction } from "./common.ts";

const TENANT = "zpa-customer-1";

function keySpec(rng: Rng, connection: { kind: string; name: string }, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    connectionRef: connection,
    associationType: "CONNECTOR_GRP",
    group: { name: rng.pick(zpaGroups.CONNECTOR_GRP).name },
    maxUsage: 1 + rng.int(100),
    secretName: "zpa-key",
    deletionPolicy: rng.chance(0.7) ? "Delete" : "Orphan",
    ...extra,
  };
}

function setupKeys(w: World, rng: Rng): void {
  const namespaces = rng.chance(0.5) ? ["team-a", "team-b"] : ["team-a"];
  for (const ns of namespaces) {
    namespace(w, ns);
    vendorConnection(w, ns, "zpa", "zpa", TENANT);
    const count = 1 + rng.int(2);
    for (let i = 1; i <= count; i++)
      provisioningKey(w, ns, `connector-${i}`, { ...keySpec(rng, { kind: "VendorConnection", name: "zpa" }), secretName: `connector-${i}-key` });
  }
}

const everyday: ReadonlyArray<readonly [UserAction, number]> = [
  [pkActions.changeMaxUsage, 2],
  [pkActions.toggleEnabled, 1],
  [pkActions.rotate, 2],
  [pkActions.rotateAnnotation, 1],
  [pkActions.deleteSecret, 2],
  [pkActions.consoleEdit, 1],
  [pkActions.consoleDelete, 1],
];

export const keyFamilies: readonly Family[] = [
  {
    id: 11,
    name: "zpa",
    description: "ProvisioningKeys; spec changes, rotations, lost Secrets, edits and deletes in the ZPA console",
    setup: setupKeys,
    actions: everyday,
    actionCount: [0, 4],
  },
  {
    id: 12,
    name: "zpa-delete",
    description: "ProvisioningKeys deleted (Delete or Orphan) while other things happen",
    setup: setupKeys,
    actions: [...everyday, [pkActions.deleteResource, 4]],
    actionCount: [1, 4],
  },
  {
    id: 13,
    name: "zpa-teardown",
    description: "a namespace with ProvisioningKeys is deleted (credentials included)",
    setup: setupKeys,
    actions: [[sharedActions.deleteNamespace, 1]],
    actionCount: [1, 1],
  },
  {
    id: 14,
    name: "zpa-tenancy",
    description: "two namespaces share a ClusterVendorConnection; team-b's spec names the key team-a manages",
    setup: (w, rng) => {
      namespace(w, "team-a", { tenant: "yes" });
      namespace(w, "team-b", { tenant: "yes" });
      clusterVendorConnection(w, "zpa-shared", "zpa", TENANT, { tenant: "yes" });
      const ref = { kind: "ClusterVendorConnection", name: "zpa-shared" };
      provisioningKey(w, "team-a", "connector", { ...keySpec(rng, ref), secretName: "connector-key" });
      const victim = defaultKeyName("team-a", "connector");
      const observe = rng.chance(0.5);
      provisioningKey(w, "team-b", "intruder", {
        ...keySpec(rng, ref, { name: victim, ...(observe ? { managementPolicy: "ObserveOnly" } : {}) }),
        secretName: "stolen-key",
      });
    },
    actions: everyday,
    actionCount: [0, 2],
    // The intruder must be refused (not Ready, with a reason); the victim must not notice.
    expect: { ready: (_w, _kind, ns, name) => !(ns === "team-b" && name === "intruder") },
  },
];
