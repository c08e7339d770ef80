// What the running simulators hold, read in-process from their models (the same data their list
// endpoints serve), so the samples are mapped onto the simulated tenants without copying seed values
// here. Also puts the provisioning keys the samples expect to exist into the ZPA simulator.
import type { SectigoSimulator } from "../../sim/sectigo/index.ts";
import type { ZpaSimulator } from "../../sim/zpa/index.ts";
import type { PresetKey, SectigoCatalog, SimCatalog, ZpaCatalog } from "./resources.ts";

// The simulator's API families per ManagedCertificate sectigo.type.
const SECTIGO_FAMILIES = { SSL: "ssl", Client: "smime", Device: "device" } as const;

function sectigoCatalog(sim: SectigoSimulator): SectigoCatalog {
  const seed = sim.model.seed;
  const perType = <T>(pick: (family: (typeof SECTIGO_FAMILIES)[keyof typeof SECTIGO_FAMILIES]) => T) =>
    ({ SSL: pick("ssl"), Client: pick("smime"), Device: pick("device") }) as const;
  return {
    orgIds: seed.organizations.flatMap((o) => [o.id, ...o.departments.map((d) => d.id)]),
    profiles: perType((f) => seed.profiles[f].map((p) => ({ id: p.id, name: p.name, renewable: p.allowRenew !== false }))),
    customFields: perType((f) => seed.customFields[f].map((c) => ({ name: c.name, mandatory: c.mandatory }))),
  };
}

/** The running simulators, as `startSimulators()` reports them (only the vendors mapped onto are read). */
export interface Simulators {
  readonly sims: { readonly sectigo?: unknown; readonly zpa?: unknown };
}

function zpaCatalog(sim: ZpaSimulator): ZpaCatalog {
  const store = sim.zpa.store;
  const groups = [...store.groups.values()];
  const ofType = (type: "CONNECTOR_GRP" | "SERVICE_EDGE_GRP") =>
    groups.filter((g) => g.type === type).map((g) => ({ id: g.id, name: g.name, enabled: g.enabled, microtenantId: g.microtenantId }));
  return {
    groups: { CONNECTOR_GRP: ofType("CONNECTOR_GRP"), SERVICE_EDGE_GRP: ofType("SERVICE_EDGE_GRP") },
    enrollmentCertificates: [...store.enrollmentCerts.values()].map((c) => ({ id: c.id, name: c.name, privateKeyPresent: c.privateKeyPresent })),
  };
}

function hasShape(sim: unknown, check: (s: Record<string, unknown>) => boolean): boolean {
  return typeof sim === "object" && sim !== null && check(sim as Record<string, unknown>);
}

const isSectigo = (sim: unknown): sim is SectigoSimulator =>
  hasShape(sim, (s) => typeof s.model === "object" && s.model !== null && typeof (s.model as { seed?: unknown }).seed === "object");
const isZpa = (sim: unknown): sim is ZpaSimulator =>
  hasShape(sim, (s) => typeof s.zpa === "object" && s.zpa !== null && typeof (s.zpa as { store?: unknown }).store === "object");

/** The catalog of every running simulator whose tenant the samples are mapped onto (Cloudflare needs none). */
export function simulatorCatalog(sims: Simulators): SimCatalog {
  const { sectigo, zpa } = sims.sims;
  if (sectigo !== undefined && !isSectigo(sectigo)) throw new Error("the Sectigo simulator exposes no model to read its organizations and profiles from");
  if (zpa !== undefined && !isZpa(zpa)) throw new Error("the ZPA simulator exposes no store to read its groups from");
  return { ...(sectigo === undefined ? {} : { sectigo: sectigoCatalog(sectigo) }), ...(zpa === undefined ? {} : { zpa: zpaCatalog(zpa) }) };
}

/** Put the keys into the ZPA simulator (as its tenant already held them: not counted as API creates); their ids. */
export function presetZpaKeys(sims: Simulators, keys: readonly PresetKey[]): string[] {
  const zpa = sims.sims.zpa;
  if (keys.length === 0) return [];
  if (zpa === undefined || !isZpa(zpa)) throw new Error("no ZPA simulator to hold the provisioning keys the samples name");
  return keys.map((k) => {
    const id = zpa.zpa.store.newId();
    zpa.zpa.putKey({
      id,
      associationType: k.associationType,
      name: k.name,
      maxUsage: k.maxUsage,
      usageCount: 0,
      enabled: k.enabled,
      enrollmentCertId: k.enrollmentCertId,
      zcomponentId: k.groupId,
      microtenantId: "0",
    });
    return id;
  });
}
