// ProvisioningKey as a managed resource (ADR 0013): what the managed driver needs to know about this
// kind — how to read it, its key's name, its claims and adoption gate (ADR 0006), its ZPA client,
// when ZPA is looked at (drift-check.ts), how the key is delivered (delivery.ts) and recorded
// (record.ts), and the words its messages use. No ZPA field is read here: the client answers.
import {
  ConditionType,
  finalizers,
  kinds,
  parseProvisioningKey,
  problemsMessage,
  resourceTypes,
  type ProvisioningKey,
  type ProvisioningKeyStatus,
} from "../../api/v1alpha1/index.ts";
import type { ProvisioningKeyClient, ProvisioningKeyClients } from "../../ports/managed-provisioning-keys.ts";
import type { Clock } from "../../runtime/clock.ts";
import { findCondition } from "../../runtime/conditions.ts";
import { splitKey } from "../../runtime/kube/resource.ts";
import type { ManagedKind, ManagedWords } from "../managed/kind.ts";
import { conditionsOf } from "../managed/status.ts";
import type { ManagedObject, ManagedView, ObjectCache } from "../managed/types.ts";
import type { Secret } from "../shared/owned-secret.ts";
import { provisioningKeyClaims, type ClaimsPort } from "./claims-check.ts";
import { ownerOf, type Delivered, type SecretDelivery } from "./delivery.ts";
import { syncReason, type DriftChecks } from "./drift-check.ts";
import type { UsageMetrics } from "./metrics.ts";
import { keyNameOf, reservedNameProblem, sameKeyName } from "./names.ts";
import { recordSync } from "./record.ts";
import { observationRequest } from "./observation.ts";
import { rotationRequest } from "./rotation.ts";
import { secretIntact } from "./secret.ts";
import { withoutRecordedKey } from "./status.ts";
import type { TenancyPort } from "./tenancy.ts";

export type Raw = ManagedObject<ProvisioningKeyStatus> & { spec?: Record<string, unknown> };

export const KEY_WORDS: ManagedWords = {
  system: "ZPA",
  noun: "key",
  orphanedReason: "KeyOrphaned",
  recorded: (status) =>
    status.id === undefined ? `the ZPA key ${status.createIntent?.name ?? ""}`.trimEnd() : `ZPA key ${status.name ?? ""} (id ${status.id})`,
  preExisting: (found) => `a provisioning key named ${found.name} (id ${found.id}) already exists in ZPA and was not created by this resource`,
  howToAdopt: "set spec.adopt: true to take it over (the connection must allow it), or choose another spec.name",
  observeRefused: (why) => `ObserveOnly delivers an existing ZPA key, which is taking it over: ${why}`,
  deleted: "deleted the provisioning key in ZPA (deletionPolicy Delete)",
};

export interface ProvisioningKeyKindDeps {
  readonly ports: () => ProvisioningKeyClients;
  readonly tenancy: TenancyPort;
  readonly claims: ClaimsPort;
  readonly secrets: ObjectCache<Secret>;
  readonly delivery: SecretDelivery;
  readonly drift: DriftChecks;
  readonly metrics: UsageMetrics;
  readonly clock: Clock;
  readonly statusWritten: (key: string) => Promise<void>;
}

export function provisioningKeyKind(d: ProvisioningKeyKindDeps): ManagedKind<Raw, ProvisioningKey, ProvisioningKeyClient, Delivered> {
  const keyName = (pk: ProvisioningKey) => keyNameOf(pk.spec, pk.metadata.namespace ?? "", pk.metadata.name ?? "");
  return {
    type: resourceTypes.provisioningKeys,
    finalizer: finalizers.cleanup,
    vendor: "zpa",
    words: KEY_WORDS,
    sameName: sameKeyName,
    parse(raw) {
      const parsed = parseProvisioningKey({ apiVersion: "certbridge.dev/v1alpha1", kind: kinds.ProvisioningKey.kind, ...raw });
      return parsed.ok ? { ok: true, value: parsed.value } : { ok: false, message: problemsMessage(parsed.problems) };
    },
    view(pk): ManagedView {
      return {
        management: pk.spec.managementPolicy,
        deletion: pk.spec.deletionPolicy,
        adopt: pk.spec.adopt,
        externalName: keyName(pk),
        recordedId: pk.status?.id,
        intent: pk.status?.createIntent,
        replaceRequested: rotationRequest(pk).requested,
      };
    },
    connectionRef: (pk) => pk.spec.connectionRef,
    invalid: (pk) => reservedNameProblem(pk.spec.name, pk.metadata.namespace ?? ""),
    claims: (pk) => provisioningKeyClaims(pk, keyName(pk), d.tenancy, d.claims),
    // Observing is taking over too (found undefined: ObserveOnly, asked before any ZPA call).
    adoption: (pk) => (_found, signal) => d.tenancy.adoption(pk.spec.connectionRef, pk.metadata.namespace ?? "", keyName(pk), signal),
    connect: (connection, pk, view) => d.ports().provisioningKeyClient(connection, { spec: pk.spec, name: view.externalName }),
    schedule: {
      due(t, pk) {
        const status = pk.status;
        const now = d.clock.now().getTime();
        const secretKey = `${pk.metadata.namespace ?? ""}/${pk.spec.secretName}`;
        const nextAt = d.drift.planned(t.key, pk.metadata.uid ?? "", status?.lastSyncTime, now);
        const reason = syncReason({
          recordedId: status?.id,
          generation: pk.metadata.generation,
          observedGeneration: status?.observedGeneration,
          rotationRequested: rotationRequest(pk).requested && pk.spec.managementPolicy !== "ObserveOnly",
          secretIntact: d.delivery.pending(secretKey, now) || secretIntact(d.secrets.get(secretKey), ownerOf(pk), pk.spec, status?.id),
          lastSyncSucceeded: findCondition(conditionsOf(status), ConditionType.Synced)?.status === "True",
          observationRequested: observationRequest(pk).requested,
          now,
          nextDriftCheckAt: nextAt,
        });
        return reason === undefined ? { nextAt } : { reason };
      },
      idle(_t, pk) {
        const s = pk.status;
        if (s?.usageCount !== undefined && s.maxUsage !== undefined)
          d.metrics.set(pk.metadata.namespace ?? "", pk.metadata.name ?? "", s.usageCount, s.maxUsage);
      },
    },
    publisher: d.delivery,
    record: (ctx, t, pk, synced, delivered, reason, tools) => recordSync(d, ctx, t, pk, synced, delivered, reason, tools),
    forgetRecorded: withoutRecordedKey,
    forget(key) {
      const { namespace, name } = splitKey(key);
      d.metrics.remove(namespace ?? "", name);
      d.drift.forget(key);
    },
  };
}
