// Application segments (with their browser-access `clientlessApps`), segment groups and server groups:
// what a browser-access rollout touches. Shapes and rules, and where each comes from:
//
// - Paths, payloads, field table and the 201/200/204 codes: the help portal's "Configuring Browser
//   Access Application Segments Using API" and "Application Segment Management" reference
//   (nyvqwd22f5-gif/zscaler, zpa/zpa__configuring-browser-access-application-segments-using-api.md,
//   zpa/zpa__application-segment-management.md, zpa/zpa__segment-group-management.md,
//   zpa/zpa__server-group-management.md).
// - Real answers: zscaler/zscaler-sdk-python, tests/integration/zpa/cassettes/TestApplicationSegment.yaml,
//   TestApplicationSegmentInspection.yaml, TestSegmentGroup.yaml, TestServerGroup.yaml (create answers
//   201 without times and with minimal serverGroups; reads add tcpPortRange objects beside
//   tcpPortRanges; getAppsByType answers totalCount "0" with items; DELETE carries forceDelete=true).
// - The SDK workflow: zscaler/zscaler-sdk-go, zscaler/zpa/services/applicationsegmentbrowseraccess
//   (GetAll keeps segments with clientlessApps; Update re-reads the segment and sends the whole object,
//   filling clientlessApps[i].appId and .id), applicationsegmentbytype (getAppsByType with
//   applicationType BROWSER_ACCESS|INSPECT|SECURE_REMOTE_ACCESS and expandAll); zscaler-sdk-python
//   zscaler/zpa/app_segments_ba.py and app_segments_ba_v2.py (clientless ids found by domain through
//   getAppsByType; commonAppsDto.appsConfig with appTypes, baAppId and deletedBaApps).
//
// PUT semantics, as far as traffic shows them: a field left out keeps its value, except optional text
// (a segment-group PUT of {name} dropped the description: TestSegmentGroup.yaml); lists that are sent
// replace the stored list; clientlessApps entries are matched by id, entries without one are new and
// stored entries left out are removed (inf, consistent with the Go SDK filling ids so nothing is lost).

import { zpaErrors } from "./errors.ts";
import {
  asObject,
  optionalBoolean,
  optionalId,
  optionalObjectList,
  optionalString,
  optionalStringList,
  present,
  requiredId,
  requiredString,
  visibleIn,
  writeTenant,
  oneOf,
  type Body,
  type MicrotenantScope,
} from "./body.ts";
import { DEFAULT_MICROTENANT, microtenantName, type Microtenant, type StoredCertificate, type StoredGroup, type TenantGroup } from "./model.ts";
import type { ProfileFacts } from "./profile.ts";

export const APPLICATION_TYPES = ["BROWSER_ACCESS", "INSPECT", "SECURE_REMOTE_ACCESS"] as const;
export type ApplicationType = (typeof APPLICATION_TYPES)[number];

export type StoredSegmentGroup = TenantGroup;

export type StoredServerGroup = TenantGroup & { dynamicDiscovery: boolean; appConnectorGroupIds: string[] };

/** One browser-access application inside a segment. */
export type StoredClientlessApp = {
  id: string;
  name: string;
  domain: string;
  applicationProtocol: "HTTP" | "HTTPS";
  applicationPort: string;
  certificateId: string;
  enabled: boolean;
  trustUntrustedCert: boolean;
  allowOptions: boolean;
  hidden: boolean;
  path: string;
  description?: string;
  localDomain?: string;
  cname: string;
  creationTime: number;
  modifiedTime?: number;
  modifiedBy: string;
};

/** An AppProtection (INSPECT) or Privileged Remote Access entry from commonAppsDto.appsConfig. */
export type StoredCommonApp = {
  id: string;
  appType: Exclude<ApplicationType, "BROWSER_ACCESS">;
  name: string;
  domain: string;
  applicationProtocol: string;
  applicationPort: string;
  certificateId?: string;
  enabled: boolean;
  trustUntrustedCert: boolean;
};

/** The segment-level switches, with the values a fresh segment reads back (TestApplicationSegment.yaml). */
export const SEGMENT_TEXT_DEFAULTS = {
  bypassType: "NEVER",
  healthCheckType: "DEFAULT",
  healthReporting: "ON_ACCESS",
  icmpAccessType: "NONE",
  matchStyle: "EXCLUSIVE",
  configSpace: "DEFAULT",
  tcpKeepAlive: "0",
  policyStyle: "NONE",
} as const;
export const SEGMENT_FLAG_DEFAULTS = {
  passiveHealthEnabled: true,
  doubleEncrypt: false,
  isCnameEnabled: true,
  ipAnchored: false,
  bypassOnReauth: false,
  inspectTrafficWithZia: false,
  useInDrMode: false,
  selectConnectorCloseToApp: false,
  isIncompleteDRConfig: false,
  adpEnabled: false,
  autoAppProtectEnabled: false,
  apiProtectionEnabled: false,
  fqdnDnsCheck: false,
  weightedLoadBalancing: false,
  extranetEnabled: false,
} as const;
type TextSetting = keyof typeof SEGMENT_TEXT_DEFAULTS;
type FlagSetting = keyof typeof SEGMENT_FLAG_DEFAULTS;

/** Allowed values from the field table of the browser-access page. */
const TEXT_ENUMS: Partial<Record<TextSetting, readonly string[]>> = {
  bypassType: ["ALWAYS", "NEVER", "ON_NET"],
  healthReporting: ["NONE", "ON_ACCESS", "CONTINUOUS"],
  icmpAccessType: ["NONE", "PING_TRACEROUTING", "PING"],
  matchStyle: ["INCLUSIVE", "EXCLUSIVE"],
  configSpace: ["DEFAULT", "SIEM"],
};

export type StoredApplication = {
  id: string;
  name: string;
  description?: string;
  enabled: boolean;
  domainNames: string[];
  segmentGroupId: string;
  serverGroupIds: string[];
  /** Flat from/to pairs, as tcpPortRanges carries them: ["443","443","8000","8080"]. */
  tcpPortRanges: string[];
  udpPortRanges: string[];
  text: Record<TextSetting, string>;
  flags: Record<FlagSetting, boolean>;
  clientlessApps: StoredClientlessApp[];
  commonApps: StoredCommonApp[];
  microtenantId: string;
  creationTime: number;
  modifiedTime?: number;
  modifiedBy: string;
};

export type AppSegmentDeps = {
  readonly nowSeconds: () => number;
  readonly newId: () => string;
  readonly adminId: string;
  readonly customerId: () => string;
  readonly facts: () => ProfileFacts;
  readonly notFound: (id: string) => Error;
  readonly tenants: readonly Microtenant[];
  readonly connectorGroup: (id: string) => StoredGroup | undefined;
  readonly certificate: (id: string) => StoredCertificate | undefined;
};

export type AppSegmentCounters = { created: number; updated: number; deleted: number };
type Wire = Record<string, unknown>;

const put = (o: Wire, k: string, v: unknown): void => {
  if (v !== undefined) o[k] = v;
};
const str = (n: number | undefined): string | undefined => (n === undefined ? undefined : String(n));

// ------------------------------------------------------------------ port ranges

/** tcpPortRanges (flat pairs) or tcpPortRange ([{from,to}]); a non-empty one wins, flat first (recorded PUT sent both). */
function portPairs(body: Body, flatField: string, objectField: string): string[] | undefined {
  const flat = optionalStringList(body, flatField);
  const objects = optionalObjectList(body, objectField);
  if (flat === undefined && objects === undefined) return undefined;
  const fromObjects = (objects ?? []).flatMap((r) => [String(r["from"] ?? ""), String(r["to"] ?? r["from"] ?? "")]);
  const pairs = flat !== undefined && flat.length > 0 ? flat : fromObjects;
  if (pairs.length % 2 !== 0 || !pairs.every((p) => /^\d{1,5}$/.test(p) && Number(p) >= 1 && Number(p) <= 65535))
    throw zpaErrors.invalid(`${flatField} must be from/to port pairs between 1 and 65535`, flatField);
  for (let i = 0; i < pairs.length; i += 2) if (Number(pairs[i]) > Number(pairs[i + 1])) throw zpaErrors.invalid(`${flatField}: from is above to`, flatField);
  return pairs;
}

const rangeObjects = (pairs: readonly string[]) => {
  const out: Array<{ from: string; to: string }> = [];
  for (let i = 0; i < pairs.length; i += 2) out.push({ from: pairs[i]!, to: pairs[i + 1]! });
  return out;
};

// ------------------------------------------------------------------ the store

export class AppSegmentStore {
  readonly segmentGroups = new Map<string, StoredSegmentGroup>();
  readonly serverGroups = new Map<string, StoredServerGroup>();
  readonly applications = new Map<string, StoredApplication>();
  readonly counters = { application: zero(), segmentGroup: zero(), serverGroup: zero() };
  /** The last bodies clients PUT per application (test hook: did a client send the whole object back?). */
  readonly lastApplicationPut = new Map<string, unknown>();
  readonly #d: AppSegmentDeps;
  #cnameSeq = 60;

  constructor(deps: AppSegmentDeps) {
    this.#d = deps;
  }

  load(seed: {
    segmentGroups?: readonly StoredSegmentGroup[];
    serverGroups?: readonly StoredServerGroup[];
    applications?: readonly StoredApplication[];
  }): void {
    this.segmentGroups.clear();
    this.serverGroups.clear();
    this.applications.clear();
    this.lastApplicationPut.clear();
    for (const g of seed.segmentGroups ?? []) this.segmentGroups.set(g.id, structuredClone(g));
    for (const g of seed.serverGroups ?? []) this.serverGroups.set(g.id, structuredClone(g));
    for (const a of seed.applications ?? []) this.applications.set(a.id, structuredClone(a));
    this.counters.application = zero();
    this.counters.segmentGroup = zero();
    this.counters.serverGroup = zero();
  }

  /** The application that keeps a certificate alive, if any (ZPA refuses to delete a referenced object). */
  applicationUsingCertificate(certificateId: string): StoredApplication | undefined {
    return [...this.applications.values()].find(
      (a) => a.clientlessApps.some((c) => c.certificateId === certificateId) || a.commonApps.some((c) => c.certificateId === certificateId),
    );
  }

  #stamp(): { creationTime: number; modifiedBy: string; modifiedTime?: number } {
    const now = this.#d.nowSeconds();
    return { creationTime: now, modifiedBy: this.#d.adminId, ...(this.#d.facts().modifiedTimeOnCreate ? { modifiedTime: now } : {}) };
  }

  #touch(o: { modifiedTime?: number; modifiedBy: string }): void {
    o.modifiedTime = this.#d.nowSeconds();
    o.modifiedBy = this.#d.adminId;
  }

  #audit(o: Wire): void {
    if (!this.#d.facts().auditFlags) return;
    o["readOnly"] = false;
    o["zscalerManaged"] = false;
  }

  // ---------------------------------------------------------------- segment groups

  #segmentGroup(id: string, scope: MicrotenantScope): StoredSegmentGroup {
    const g = this.segmentGroups.get(id);
    if (g === undefined || !visibleIn(g.microtenantId, scope)) throw this.#d.notFound(id);
    return g;
  }

  segmentGroupToWire(g: StoredSegmentGroup, view: "read" | "created" = "read"): Wire {
    const o: Wire = { id: g.id };
    put(o, "modifiedTime", str(g.modifiedTime));
    o["creationTime"] = String(g.creationTime);
    o["modifiedBy"] = g.modifiedBy;
    o["name"] = g.name;
    put(o, "description", g.description);
    o["enabled"] = g.enabled;
    const apps = [...this.applications.values()].filter((a) => a.segmentGroupId === g.id);
    if (view === "read" && apps.length > 0)
      o["applications"] = apps.map((a) => ({
        id: a.id,
        creationTime: String(a.creationTime),
        modifiedBy: a.modifiedBy,
        name: a.name,
        domainNames: [...a.domainNames],
        enabled: a.enabled,
      }));
    o["configSpace"] = "DEFAULT";
    o["tcpKeepAliveEnabled"] = "0";
    this.#audit(o);
    if (view === "read") put(o, "microtenantName", microtenantName(g.microtenantId, this.#d.tenants));
    return o;
  }

  listSegmentGroups(scope: MicrotenantScope): Wire[] {
    return [...this.segmentGroups.values()].filter((g) => visibleIn(g.microtenantId, scope)).map((g) => this.segmentGroupToWire(g));
  }

  getSegmentGroup(id: string, scope: MicrotenantScope): Wire {
    return this.segmentGroupToWire(this.#segmentGroup(id, scope));
  }

  createSegmentGroup(raw: unknown, tenantQuery: string | undefined): Wire {
    const body = asObject(raw);
    const g: StoredSegmentGroup = {
      id: this.#d.newId(),
      name: requiredString(body, "name"),
      ...optionalField("description", optionalString(body, "description")),
      // The recorded create sent enabled:true; the field table gives no default (inf: true).
      enabled: optionalBoolean(body, "enabled") ?? true,
      microtenantId: writeTenant(tenantQuery, raw),
      ...this.#stamp(),
    };
    this.segmentGroups.set(g.id, g);
    this.counters.segmentGroup.created += 1;
    return this.segmentGroupToWire(g, "created");
  }

  updateSegmentGroup(id: string, raw: unknown, tenantQuery: string | undefined): void {
    const g = this.#segmentGroup(id, tenantQuery);
    const body = asObject(raw);
    const name = present(body, "name") ? requiredString(body, "name") : g.name;
    const description = optionalString(body, "description");
    g.name = name;
    // Recorded: a PUT of {name} alone removed the description (TestSegmentGroup.yaml).
    if (description === undefined) delete g.description;
    else g.description = description;
    g.enabled = optionalBoolean(body, "enabled") ?? g.enabled;
    this.#touch(g);
    this.counters.segmentGroup.updated += 1;
  }

  deleteSegmentGroup(id: string, tenantQuery: string | undefined): void {
    this.#segmentGroup(id, tenantQuery);
    const user = [...this.applications.values()].find((a) => a.segmentGroupId === id);
    if (user !== undefined) throw zpaErrors.referenced("Application", user.name);
    this.segmentGroups.delete(id);
    this.counters.segmentGroup.deleted += 1;
  }

  // ---------------------------------------------------------------- server groups

  #serverGroup(id: string, scope: MicrotenantScope): StoredServerGroup {
    const g = this.serverGroups.get(id);
    if (g === undefined || !visibleIn(g.microtenantId, scope)) throw this.#d.notFound(id);
    return g;
  }

  /** `inSegment`: the short form a segment embeds (recorded create answers with an even shorter one). */
  serverGroupToWire(g: StoredServerGroup, view: "read" | "created" | "inSegment" | "inCreatedSegment" = "read"): Wire {
    if (view === "inCreatedSegment") return { id: g.id, enabled: false, configSpace: "DEFAULT", extranetEnabled: false, dynamicDiscovery: false };
    const o: Wire = {};
    if (view !== "created") {
      put(o, "modifiedTime", str(g.modifiedTime));
      o["creationTime"] = String(g.creationTime);
      o["modifiedBy"] = g.modifiedBy;
    }
    o["id"] = g.id;
    if (view !== "created" || g.enabled) o["enabled"] = g.enabled;
    o["name"] = g.name;
    put(o, "description", g.description);
    if (view !== "inSegment") o["ipAnchored"] = false;
    o["configSpace"] = "DEFAULT";
    o["extranetEnabled"] = false;
    if (view === "inSegment") {
      o["dynamicDiscovery"] = g.dynamicDiscovery;
      return o;
    }
    if (view === "read") {
      this.#audit(o);
      put(o, "microtenantName", microtenantName(g.microtenantId, this.#d.tenants));
    }
    o["dynamicDiscovery"] = g.dynamicDiscovery;
    o["appConnectorGroups"] = g.appConnectorGroupIds.map((cid) => {
      const c = this.#d.connectorGroup(cid);
      return { id: cid, ...(c === undefined ? {} : { name: c.name, enabled: c.enabled }), connectorGroupType: "APP" };
    });
    const apps = [...this.applications.values()].filter((a) => a.serverGroupIds.includes(g.id));
    if (view === "read" && apps.length > 0) o["applications"] = apps.map((a) => ({ id: a.id, name: a.name, enabled: a.enabled }));
    return o;
  }

  listServerGroups(scope: MicrotenantScope): Wire[] {
    return [...this.serverGroups.values()].filter((g) => visibleIn(g.microtenantId, scope)).map((g) => this.serverGroupToWire(g));
  }

  getServerGroup(id: string, scope: MicrotenantScope): Wire {
    return this.serverGroupToWire(this.#serverGroup(id, scope));
  }

  #connectorGroupIds(body: Body): string[] | undefined {
    const list = optionalObjectList(body, "appConnectorGroups");
    if (list === undefined) return undefined;
    return list.map((e) => {
      const id = requiredId(e, "id");
      const c = this.#d.connectorGroup(id);
      if (c === undefined || c.type !== "CONNECTOR_GRP") throw this.#d.notFound(id);
      return id;
    });
  }

  createServerGroup(raw: unknown, tenantQuery: string | undefined): Wire {
    const body = asObject(raw);
    const g: StoredServerGroup = {
      id: this.#d.newId(),
      name: requiredString(body, "name"),
      ...optionalField("description", optionalString(body, "description")),
      // Recorded: created without `enabled`, a server group reads enabled:false (TestServerGroup.yaml).
      enabled: optionalBoolean(body, "enabled") ?? false,
      dynamicDiscovery: optionalBoolean(body, "dynamicDiscovery") ?? false,
      appConnectorGroupIds: this.#connectorGroupIds(body) ?? [],
      microtenantId: writeTenant(tenantQuery, raw),
      ...this.#stamp(),
    };
    this.serverGroups.set(g.id, g);
    this.counters.serverGroup.created += 1;
    return this.serverGroupToWire(g, "created");
  }

  updateServerGroup(id: string, raw: unknown, tenantQuery: string | undefined): void {
    const g = this.#serverGroup(id, tenantQuery);
    const body = asObject(raw);
    // Validate everything before changing anything.
    const name = present(body, "name") ? requiredString(body, "name") : g.name;
    const description = optionalString(body, "description");
    const connectors = this.#connectorGroupIds(body);
    g.name = name;
    if (description === undefined) delete g.description;
    else g.description = description;
    g.enabled = optionalBoolean(body, "enabled") ?? g.enabled;
    g.dynamicDiscovery = optionalBoolean(body, "dynamicDiscovery") ?? g.dynamicDiscovery;
    if (connectors !== undefined) g.appConnectorGroupIds = connectors;
    this.#touch(g);
    this.counters.serverGroup.updated += 1;
  }

  deleteServerGroup(id: string, tenantQuery: string | undefined): void {
    this.#serverGroup(id, tenantQuery);
    const user = [...this.applications.values()].find((a) => a.serverGroupIds.includes(id));
    if (user !== undefined) throw zpaErrors.referenced("Application", user.name);
    this.serverGroups.delete(id);
    this.counters.serverGroup.deleted += 1;
  }

  // ---------------------------------------------------------------- applications

  #application(id: string, scope: MicrotenantScope): StoredApplication {
    const a = this.applications.get(id);
    if (a === undefined || !visibleIn(a.microtenantId, scope)) throw this.#d.notFound(id);
    return a;
  }

  clientlessAppToWire(c: StoredClientlessApp, appId: string, microtenantId: string): Wire {
    const o: Wire = { id: c.id };
    put(o, "modifiedTime", str(c.modifiedTime));
    o["creationTime"] = String(c.creationTime);
    o["modifiedBy"] = c.modifiedBy;
    o["name"] = c.name;
    o["enabled"] = c.enabled;
    put(o, "description", c.description);
    o["certificateId"] = c.certificateId;
    put(o, "certificateName", this.#d.certificate(c.certificateId)?.name);
    o["applicationPort"] = c.applicationPort;
    o["applicationProtocol"] = c.applicationProtocol;
    o["domain"] = c.domain;
    o["path"] = c.path;
    o["hidden"] = c.hidden;
    o["appId"] = appId;
    o["trustUntrustedCert"] = c.trustUntrustedCert;
    o["allowOptions"] = c.allowOptions;
    o["cname"] = c.cname;
    put(o, "localDomain", c.localDomain);
    if (microtenantId !== DEFAULT_MICROTENANT) put(o, "microtenantName", microtenantName(microtenantId, this.#d.tenants));
    return o;
  }

  applicationToWire(a: StoredApplication, view: "read" | "created" = "read"): Wire {
    const o: Wire = {};
    if (view === "read") {
      put(o, "modifiedTime", str(a.modifiedTime));
      o["creationTime"] = String(a.creationTime);
      o["modifiedBy"] = a.modifiedBy;
    }
    o["id"] = a.id;
    o["domainNames"] = [...a.domainNames];
    o["name"] = a.name;
    put(o, "description", a.description);
    o["serverGroups"] = a.serverGroupIds.map((sid) => {
      const g = this.serverGroups.get(sid);
      if (g === undefined) return { id: sid };
      return this.serverGroupToWire(g, view === "created" ? "inCreatedSegment" : "inSegment");
    });
    o["enabled"] = a.enabled;
    o["passiveHealthEnabled"] = a.flags.passiveHealthEnabled;
    if (a.tcpPortRanges.length > 0) o["tcpPortRanges"] = [...a.tcpPortRanges];
    if (a.udpPortRanges.length > 0) o["udpPortRanges"] = [...a.udpPortRanges];
    if (view === "read" && a.tcpPortRanges.length > 0) o["tcpPortRange"] = rangeObjects(a.tcpPortRanges);
    if (view === "read" && a.udpPortRanges.length > 0) o["udpPortRange"] = rangeObjects(a.udpPortRanges);
    for (const [k, v] of Object.entries(a.text)) if (view === "read" || k !== "healthReporting") o[k] = v;
    for (const [k, v] of Object.entries(a.flags)) if (k !== "passiveHealthEnabled") o[k] = v;
    if (a.clientlessApps.length > 0) o["clientlessApps"] = a.clientlessApps.map((c) => this.clientlessAppToWire(c, a.id, a.microtenantId));
    if (a.commonApps.length > 0)
      o["commonAppsDto"] = {
        appsConfig: a.commonApps.map((c) => ({
          name: c.name,
          [c.appType === "INSPECT" ? "inspectAppId" : "praAppId"]: c.id,
          enabled: c.enabled,
          ...(c.certificateId === undefined ? {} : { certificateId: c.certificateId }),
          applicationPort: c.applicationPort,
          applicationProtocol: c.applicationProtocol,
          domain: c.domain,
          appId: a.id,
          trustUntrustedCert: c.trustUntrustedCert,
          appTypes: [c.appType],
        })),
      };
    if (view === "read") {
      this.#audit(o);
      put(o, "microtenantName", microtenantName(a.microtenantId, this.#d.tenants));
    }
    o["segmentGroupId"] = a.segmentGroupId;
    if (view === "read") put(o, "segmentGroupName", this.segmentGroups.get(a.segmentGroupId)?.name);
    return o;
  }

  listApplications(scope: MicrotenantScope): Wire[] {
    return [...this.applications.values()].filter((a) => visibleIn(a.microtenantId, scope)).map((a) => this.applicationToWire(a));
  }

  getApplication(id: string, scope: MicrotenantScope): Wire {
    return this.applicationToWire(this.#application(id, scope));
  }

  /** getAppsByType: one entry per app of the type (recorded shape: TestApplicationSegmentInspection.yaml). */
  appsByType(type: string | undefined, scope: MicrotenantScope, expandAll: boolean): Wire[] {
    if (type === undefined || !(APPLICATION_TYPES as readonly string[]).includes(type))
      throw zpaErrors.invalid(`applicationType must be one of ${APPLICATION_TYPES.join(", ")}`, "applicationType");
    const out: Wire[] = [];
    for (const a of this.applications.values()) {
      if (!visibleIn(a.microtenantId, scope)) continue;
      if (type === "BROWSER_ACCESS")
        for (const c of a.clientlessApps) {
          const e: Wire = {
            id: c.id,
            appId: a.id,
            name: c.name,
            enabled: c.enabled,
            domain: c.domain,
            applicationPort: c.applicationPort,
            applicationProtocol: c.applicationProtocol,
            certificateId: c.certificateId,
          };
          put(e, "certificateName", this.#d.certificate(c.certificateId)?.name);
          e["trustUntrustedCert"] = c.trustUntrustedCert;
          // (inf) expandAll adds the entry's remaining fields.
          if (expandAll) Object.assign(e, { allowOptions: c.allowOptions, hidden: c.hidden, path: c.path, cname: c.cname });
          if (a.microtenantId !== DEFAULT_MICROTENANT) put(e, "microtenantName", microtenantName(a.microtenantId, this.#d.tenants));
          out.push(e);
        }
      else
        for (const c of a.commonApps.filter((x) => x.appType === type)) {
          const e: Wire = {
            id: c.id,
            name: c.name,
            enabled: c.enabled,
            applicationPort: c.applicationPort,
            applicationProtocol: c.applicationProtocol,
            domain: c.domain,
            appId: a.id,
            trustUntrustedCert: c.trustUntrustedCert,
          };
          if (c.certificateId !== undefined) {
            e["certificateId"] = c.certificateId;
            put(e, "certificateName", this.#d.certificate(c.certificateId)?.name);
          }
          out.push(e);
        }
    }
    return out;
  }

  #settings(body: Body, base: Pick<StoredApplication, "text" | "flags">): Pick<StoredApplication, "text" | "flags"> {
    const text = { ...base.text };
    for (const k of Object.keys(SEGMENT_TEXT_DEFAULTS) as TextSetting[]) {
      const allowed = TEXT_ENUMS[k];
      const v = allowed === undefined ? optionalString(body, k) : oneOf(body, k, allowed);
      if (v !== undefined) text[k] = v;
    }
    const flags = { ...base.flags };
    for (const k of Object.keys(SEGMENT_FLAG_DEFAULTS) as FlagSetting[]) {
      const v = optionalBoolean(body, k);
      if (v !== undefined) flags[k] = v;
    }
    return { text, flags };
  }

  #serverGroupIds(body: Body): string[] | undefined {
    const list = optionalObjectList(body, "serverGroups");
    if (list === undefined) return undefined;
    return list.map((e) => {
      const id = requiredId(e, "id");
      if (!this.serverGroups.has(id)) throw this.#d.notFound(id);
      return id;
    });
  }

  #certificateId(entry: Body): string {
    const id = requiredId(entry, "certificateId");
    if (this.#d.certificate(id) === undefined) throw this.#d.notFound(id);
    return id;
  }

  /** One clientless entry from a body, merged over the stored one with the same id (if any). */
  #clientlessApp(entry: Body, existing: StoredClientlessApp | undefined): StoredClientlessApp {
    const now = this.#d.nowSeconds();
    const pick = <T>(v: T | undefined, keep: T | undefined, field: string): T => {
      if (v !== undefined) return v;
      if (keep !== undefined) return keep;
      throw zpaErrors.invalid(`clientlessApps.${field} is required`, `clientlessApps.${field}`);
    };
    const protocol = oneOf(entry, "applicationProtocol", ["HTTP", "HTTPS"] as const);
    const port = optionalString(entry, "applicationPort");
    if (port !== undefined && !/^\d{1,5}$/.test(port))
      throw zpaErrors.invalid("clientlessApps.applicationPort must be a port", "clientlessApps.applicationPort");
    const base: StoredClientlessApp = {
      id: existing?.id ?? this.#d.newId(),
      name: pick(present(entry, "name") ? requiredString(entry, "name") : undefined, existing?.name, "name"),
      domain: pick(present(entry, "domain") ? requiredString(entry, "domain") : undefined, existing?.domain, "domain"),
      applicationProtocol: pick(protocol, existing?.applicationProtocol, "applicationProtocol"),
      applicationPort: pick(port, existing?.applicationPort, "applicationPort"),
      certificateId: pick(present(entry, "certificateId") ? this.#certificateId(entry) : undefined, existing?.certificateId, "certificateId"),
      enabled: optionalBoolean(entry, "enabled") ?? existing?.enabled ?? true,
      trustUntrustedCert: optionalBoolean(entry, "trustUntrustedCert") ?? existing?.trustUntrustedCert ?? false,
      allowOptions: optionalBoolean(entry, "allowOptions") ?? existing?.allowOptions ?? false,
      hidden: optionalBoolean(entry, "hidden") ?? existing?.hidden ?? false,
      path: optionalString(entry, "path") ?? existing?.path ?? "/",
      ...optionalField("description", optionalString(entry, "description") ?? existing?.description),
      ...optionalField("localDomain", optionalString(entry, "localDomain") ?? existing?.localDomain),
      // ZPA's CNAME for the app: <n>.<customerId>.h.b.zpa-app.net in the documented examples.
      cname: existing?.cname ?? `${(this.#cnameSeq += 1)}.${this.#d.customerId()}.h.b.zpa-app.net`,
      creationTime: existing?.creationTime ?? now,
      modifiedBy: existing?.modifiedBy ?? this.#d.adminId,
      ...optionalField("modifiedTime", existing?.modifiedTime ?? (this.#d.facts().modifiedTimeOnCreate ? now : undefined)),
    };
    if (existing !== undefined && JSON.stringify(existing) !== JSON.stringify(base)) {
      base.modifiedTime = now;
      base.modifiedBy = this.#d.adminId;
    }
    return base;
  }

  /** clientlessApps (and BROWSER_ACCESS entries of commonAppsDto) reconciled with what the segment holds. */
  #clientlessApps(body: Body, current: readonly StoredClientlessApp[]): StoredClientlessApp[] | undefined {
    const direct = optionalObjectList(body, "clientlessApps");
    const dto = present(body, "commonAppsDto") ? asObject(body["commonAppsDto"]) : undefined;
    const configs = dto === undefined ? undefined : optionalObjectList(dto, "appsConfig");
    const baConfigs = configs?.filter((c) => (optionalStringList(c, "appTypes") ?? ["BROWSER_ACCESS"]).includes("BROWSER_ACCESS"));
    if (direct === undefined && (baConfigs === undefined || baConfigs.length === 0)) {
      const deleted = dto === undefined ? undefined : optionalStringList(dto, "deletedBaApps");
      return deleted === undefined ? undefined : current.filter((c) => !deleted.includes(c.id));
    }
    const byId = new Map(current.map((c) => [c.id, c]));
    const entries = direct ?? baConfigs!.map((c) => ({ ...c, ...(present(c, "baAppId") && c["baAppId"] !== "" ? { id: c["baAppId"] } : {}) }));
    const seen = new Set<string>();
    const out = entries.map((e) => {
      // The Go SDK omits an empty id; the documents show "0" for a fresh entry: both mean "new".
      const id = e["id"] === "" ? undefined : optionalId(e, "id");
      const existing = id === undefined || id === "0" ? undefined : byId.get(id);
      if (id !== undefined && id !== "0" && existing === undefined) throw this.#d.notFound(id);
      if (existing !== undefined && seen.has(existing.id)) throw zpaErrors.invalid("clientlessApps lists one app twice", "clientlessApps.id");
      if (existing !== undefined) seen.add(existing.id);
      return this.#clientlessApp(e, existing);
    });
    if (dto !== undefined && direct === undefined) {
      // v2 workflow: apps not named stay unless listed in deletedBaApps (zscaler-sdk-python app_segments_ba_v2.py).
      const deleted = new Set(optionalStringList(dto, "deletedBaApps") ?? []);
      for (const c of current) if (!seen.has(c.id) && !deleted.has(c.id)) out.push(c);
    }
    const domains = out.map((c) => `${c.domain.toLowerCase()}:${c.applicationPort}`);
    if (new Set(domains).size !== domains.length) throw zpaErrors.invalid("clientlessApps: one domain and port twice", "clientlessApps.domain");
    return out;
  }

  #commonApps(body: Body, current: readonly StoredCommonApp[]): StoredCommonApp[] | undefined {
    if (!present(body, "commonAppsDto")) return undefined;
    const configs = optionalObjectList(asObject(body["commonAppsDto"]), "appsConfig");
    if (configs === undefined) return undefined;
    const others = configs.filter((c) => !(optionalStringList(c, "appTypes") ?? ["BROWSER_ACCESS"]).includes("BROWSER_ACCESS"));
    if (others.length === 0) return undefined;
    return others.map((c) => {
      const appType = (optionalStringList(c, "appTypes") ?? [])[0] as StoredCommonApp["appType"];
      if (appType !== "INSPECT" && appType !== "SECURE_REMOTE_ACCESS")
        throw zpaErrors.invalid("appTypes must be BROWSER_ACCESS, INSPECT or SECURE_REMOTE_ACCESS", "appTypes");
      const keepId = optionalId(c, appType === "INSPECT" ? "inspectAppId" : "praAppId");
      const existing = current.find((x) => x.id === keepId);
      return {
        id: existing?.id ?? this.#d.newId(),
        appType,
        name: optionalString(c, "name") ?? requiredString(c, "domain"),
        domain: requiredString(c, "domain"),
        applicationProtocol: requiredString(c, "applicationProtocol"),
        applicationPort: requiredString(c, "applicationPort"),
        ...optionalField("certificateId", present(c, "certificateId") ? this.#certificateId(c) : undefined),
        enabled: optionalBoolean(c, "enabled") ?? true,
        trustUntrustedCert: optionalBoolean(c, "trustUntrustedCert") ?? false,
      };
    });
  }

  #checkApplication(a: StoredApplication): void {
    if (a.domainNames.length === 0) throw zpaErrors.invalid("domainNames is required", "domainNames");
    if (a.serverGroupIds.length === 0) throw zpaErrors.invalid("serverGroups is required", "serverGroups");
    // Field table: "If a list of Browser Access applications are provided, then the field matchStyle must be set to EXCLUSIVE."
    if (a.clientlessApps.length > 0 && a.text.matchStyle !== "EXCLUSIVE")
      throw zpaErrors.invalid("Browser Access applications need matchStyle EXCLUSIVE", "matchStyle");
  }

  createApplication(raw: unknown, tenantQuery: string | undefined): Wire {
    const body = asObject(raw);
    const segmentGroupId = requiredId(body, "segmentGroupId");
    if (!this.segmentGroups.has(segmentGroupId)) throw this.#d.notFound(segmentGroupId);
    const a: StoredApplication = {
      id: this.#d.newId(),
      name: requiredString(body, "name"),
      ...optionalField("description", optionalString(body, "description")),
      // Field table: enabled defaults to false.
      enabled: optionalBoolean(body, "enabled") ?? false,
      domainNames: optionalStringList(body, "domainNames") ?? [],
      segmentGroupId,
      serverGroupIds: this.#serverGroupIds(body) ?? [],
      tcpPortRanges: portPairs(body, "tcpPortRanges", "tcpPortRange") ?? [],
      udpPortRanges: portPairs(body, "udpPortRanges", "udpPortRange") ?? [],
      ...this.#settings(body, { text: { ...SEGMENT_TEXT_DEFAULTS }, flags: { ...SEGMENT_FLAG_DEFAULTS } }),
      clientlessApps: [],
      commonApps: [],
      microtenantId: writeTenant(tenantQuery, raw),
      ...this.#stamp(),
    };
    a.clientlessApps = this.#clientlessApps(body, []) ?? [];
    a.commonApps = this.#commonApps(body, []) ?? [];
    this.#checkApplication(a);
    this.applications.set(a.id, a);
    this.counters.application.created += 1;
    return this.applicationToWire(a, "created");
  }

  updateApplication(id: string, raw: unknown, tenantQuery: string | undefined): void {
    const current = this.#application(id, tenantQuery);
    const body = asObject(raw);
    this.lastApplicationPut.set(id, structuredClone(body));
    const segmentGroupId = optionalId(body, "segmentGroupId") ?? current.segmentGroupId;
    if (!this.segmentGroups.has(segmentGroupId)) throw this.#d.notFound(segmentGroupId);
    const description = optionalString(body, "description");
    const next: StoredApplication = {
      ...structuredClone(current),
      name: present(body, "name") ? requiredString(body, "name") : current.name,
      enabled: optionalBoolean(body, "enabled") ?? current.enabled,
      domainNames: optionalStringList(body, "domainNames") ?? current.domainNames,
      segmentGroupId,
      serverGroupIds: this.#serverGroupIds(body) ?? current.serverGroupIds,
      tcpPortRanges: portPairs(body, "tcpPortRanges", "tcpPortRange") ?? current.tcpPortRanges,
      udpPortRanges: portPairs(body, "udpPortRanges", "udpPortRange") ?? current.udpPortRanges,
      ...this.#settings(body, current),
    };
    if (description === undefined) delete next.description;
    else next.description = description;
    next.clientlessApps = this.#clientlessApps(body, current.clientlessApps) ?? current.clientlessApps;
    next.commonApps = this.#commonApps(body, current.commonApps) ?? current.commonApps;
    this.#checkApplication(next);
    this.#touch(next);
    this.applications.set(id, next);
    this.counters.application.updated += 1;
  }

  deleteApplication(id: string, tenantQuery: string | undefined): void {
    this.#application(id, tenantQuery);
    this.applications.delete(id);
    this.lastApplicationPut.delete(id);
    this.counters.application.deleted += 1;
  }

  snapshot() {
    return {
      counts: { applications: this.applications.size, segmentGroups: this.segmentGroups.size, serverGroups: this.serverGroups.size },
      counters: structuredClone(this.counters),
      applications: [...this.applications.values()].map((a) => ({
        id: a.id,
        name: a.name,
        microtenantId: a.microtenantId,
        clientlessApps: a.clientlessApps.map((c) => ({ id: c.id, domain: c.domain, certificateId: c.certificateId })),
      })),
    };
  }
}

function zero(): AppSegmentCounters {
  return { created: 0, updated: 0, deleted: 0 };
}

/** `{ [field]: value }` when the value is set, else nothing (optional fields are omitted, not undefined). */
function optionalField<K extends string, V>(field: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [field]: value }) as { [P in K]?: V };
}
