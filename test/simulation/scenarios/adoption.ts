// Adoption of keys a person made in the ZPA console, through a shared ClusterVendorConnection whose
// owner allows team-a (and only names starting "legacy-") to take keys over (ADR 0006). team-a's
// adopter must end Ready with the console key; team-b, asking for the same key, and a team-a resource
// asking for a key outside the prefix must be refused, and must never write those keys nor receive
// their values.
import { Invariant } from "../ledger.ts";
import type { Rng } from "../rng.ts";
import { zpaGroups, ZPA_ENROLLMENT } from "../vendors/zpa.ts";
import type { World } from "../world.ts";
import { clusterVendorConnection, namespace, pkActions, provisioningKey, type Family } from "./common.ts";

const TENANT = "zpa-customer-1";

function spec(rng: Rng, name: string, secretName: string): Record<string, unknown> {
  return {
    connectionRef: { kind: "ClusterVendorConnection", name: "zpa-shared" },
    associationType: "CONNECTOR_GRP",
    group: { name: zpaGroups.CONNECTOR_GRP[0]!.name },
    name,
    adopt: true,
    maxUsage: 1 + rng.int(100),
    secretName,
    deletionPolicy: rng.chance(0.5) ? "Delete" : "Orphan",
  };
}

export const adoptionFamily: Family = {
  id: 15,
  name: "zpa-adoption",
  description: "console keys taken over through a ClusterVendorConnection's adoption policy (team-a, names legacy-*), refused elsewhere",
  setup: (w, rng) => {
    namespace(w, "team-a", { tenant: "yes", adopt: "yes" });
    namespace(w, "team-b", { tenant: "yes" });
    clusterVendorConnection(
      w,
      "zpa-shared",
      "zpa",
      TENANT,
      { tenant: "yes" },
      { adoption: { namespaceSelector: { matchLabels: { adopt: "yes" } }, namePrefix: "legacy-" } },
    );
    const console = (name: string) =>
      w.zpa.consoleKey(TENANT, {
        name,
        associationType: "CONNECTOR_GRP",
        enabled: true,
        maxUsage: 10,
        enrollmentCertId: ZPA_ENROLLMENT.CONNECTOR_GRP.id,
        groupId: zpaGroups.CONNECTOR_GRP[0]!.id,
      });
    console("legacy-edge-1");
    console("other-key");
    provisioningKey(w, "team-a", "adopter", spec(rng, "legacy-edge-1", "adopter-key"));
    provisioningKey(w, "team-b", "intruder", spec(rng, "legacy-edge-1", "intruder-key"));
    provisioningKey(w, "team-a", "greedy", spec(rng, "other-key", "greedy-key"));
  },
  actions: [
    [pkActions.changeMaxUsage, 2],
    [pkActions.deleteSecret, 2],
    [pkActions.toggleEnabled, 1],
  ],
  actionCount: [0, 3],
  expect: { ready: (_w, _kind, ns, name) => ns === "team-a" && name === "adopter" },
  check: (w: World) => {
    for (const k of w.zpa.keys.filter((k) => k.creator.key === "(console)")) {
      const foreignWriters = [...k.writers].filter((who) => !(k.name.startsWith("legacy-") && who === "team-a/adopter"));
      if (foreignWriters.length > 0)
        w.ledger.flag(
          Invariant.NoCrossNamespaceAccess,
          `console key ${k.id} "${k.name}" was written by ${foreignWriters.join(", ")}, which the adoption policy does not allow`,
        );
      const foreignSecrets = [...k.deliveredTo].filter((secret) => !(k.name.startsWith("legacy-") && secret === "team-a/adopter-key"));
      if (foreignSecrets.length > 0)
        w.ledger.flag(
          Invariant.NoCrossNamespaceAccess,
          `the value of console key ${k.id} "${k.name}" reached Secret ${foreignSecrets.join(", ")}, which the adoption policy does not allow`,
        );
    }
  },
};
