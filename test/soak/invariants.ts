// The soak's invariants, checked against the vendors' own state (pure: inputs in, findings out).
//   duplicates — more vendor objects for a resource's content version (or a key's rotations) than
//                were ever asked for: paid twice. Historical: waiting does not fix them.
//   leaks      — a vendor object still alive (issued, pending, active key) that no live resource
//                tracks and no policy retains: paid for and forgotten, or reachable by nobody.
//   state      — a live resource not Ready, not in step with its spec, or whose Secret does not hold
//                the vendor's current object; a deleted one that left behind what its policy removes.
import { X509Certificate, createPrivateKey } from "node:crypto";
import type { KubeObject } from "../../src/runtime/kube/resource.ts";
import { type TrackedResource, certName, parseCertName, zpaKeyName } from "./workload.ts";
import { type VendorCertificate, type ZpaView, normalizeSerial } from "./vendor-state.ts";

export type FindingClass = "duplicate" | "leak" | "state";

export interface Finding {
  readonly class: FindingClass;
  readonly resource: string;
  readonly message: string;
  /** Vendor object ids involved. */
  readonly vendorObjects?: readonly string[];
}

export type Obj = KubeObject & {
  spec?: Record<string, unknown>;
  status?: Record<string, unknown> & { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> };
};
export type SecretObj = KubeObject & { data?: Record<string, string> };

export interface ClusterView {
  /** Current objects by "namespace/name". */
  readonly objects: ReadonlyMap<string, Obj>;
  readonly secrets: ReadonlyMap<string, SecretObj>;
}

export interface VendorView {
  readonly certificates?: readonly VendorCertificate[];
  readonly zpa?: ZpaView;
  /** ZPA key value by key id (only for keys live resources name). */
  readonly zpaValues?: ReadonlyMap<string, string | undefined>;
  /** Every key id ever seen under each key name during the run (observer samples plus the end state). */
  readonly zpaKeyHistory?: ReadonlyMap<string, ReadonlySet<string>>;
}

export interface CheckResult {
  readonly findings: Finding[];
  readonly orders: { cloudflare: number; sectigo: number; zpaKeys: number };
  readonly duplicates: number;
  readonly leaks: number;
}

const key = (ns: string, name: string) => `${ns}/${name}`;
const b64 = (s: string | undefined) => (s === undefined ? undefined : Buffer.from(s, "base64").toString("utf8"));

function ready(o: Obj): { ok: boolean; why: string } {
  const c = o.status?.conditions?.find((x) => x.type === "Ready");
  if (c?.status === "True") return { ok: true, why: "" };
  return { ok: false, why: c === undefined ? "no Ready condition" : `Ready=${c.status} ${c.reason ?? ""}: ${(c.message ?? "").slice(0, 160)}` };
}

function leafOf(pem: string | undefined): X509Certificate | undefined {
  if (pem === undefined) return undefined;
  const first = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  try {
    return first === undefined ? undefined : new X509Certificate(first);
  } catch {
    return undefined;
  }
}

/** Certificate and key in a TLS Secret belong together and the certificate is the vendor's `cert`. */
function secretHolds(secret: SecretObj | undefined, cert: VendorCertificate): string | undefined {
  if (secret === undefined) return "Secret missing";
  const leaf = leafOf(b64(secret.data?.["tls.crt"]));
  if (leaf === undefined) return "Secret has no parsable tls.crt";
  if (normalizeSerial(leaf.serialNumber) !== cert.serialHex)
    return `Secret holds serial ${leaf.serialNumber}, vendor object ${cert.id} has ${cert.serialHex ?? "none"}`;
  if (cert.certificatePem !== undefined && !leaf.raw.equals(new X509Certificate(cert.certificatePem).raw))
    return `Secret certificate differs from vendor object ${cert.id}`;
  const keyPem = b64(secret.data?.["tls.key"]);
  try {
    if (keyPem === undefined || !leaf.checkPrivateKey(createPrivateKey(keyPem))) return "tls.key does not match tls.crt";
  } catch {
    return "tls.key unreadable";
  }
  return undefined;
}

export function checkInvariants(resources: readonly TrackedResource[], cluster: ClusterView, vendor: VendorView): CheckResult {
  const findings: Finding[] = [];
  const byName = new Map(resources.map((r) => [r.name, r]));
  const certs = vendor.certificates ?? [];
  const certById = new Map(certs.map((c) => [`${c.vendor}/${c.id}`, c]));

  // ---- per resource: state
  for (const r of resources) {
    const obj = cluster.objects.get(key(r.namespace, r.name));
    const same = obj !== undefined && obj.metadata.uid === r.uid;
    if (r.phase === "live") {
      if (!same) {
        findings.push({ class: "state", resource: r.name, message: "live resource is missing from the API" });
        continue;
      }
      const rd = ready(obj);
      if (!rd.ok) findings.push({ class: "state", resource: r.name, message: `not Ready: ${rd.why}` });
      if (obj.status?.["observedGeneration"] !== obj.metadata.generation)
        findings.push({
          class: "state",
          resource: r.name,
          message: `observedGeneration ${String(obj.status?.["observedGeneration"])} ≠ generation ${obj.metadata.generation}`,
        });
      if (r.kind === "ManagedCertificate") checkLiveCertificate(r, obj, cluster, certById, findings);
      else checkLiveKey(r, obj, cluster, vendor, findings);
    } else if (r.phase === "deleting") {
      findings.push({
        class: "state",
        resource: r.name,
        message: same ? `still deleting (finalizers: ${(obj.metadata.finalizers ?? []).join(",")})` : "deleting (not yet observed gone)",
      });
    } else {
      if (r.kind === "ManagedCertificate") {
        if (cluster.secrets.has(key(r.namespace, `${r.name}-certbridge-key`)))
          findings.push({ class: "state", resource: r.name, message: "deleted, but its key Secret remains" });
        if (r.policy.deleteSecretOnDelete && cluster.secrets.has(key(r.namespace, `${r.name}-tls`)))
          findings.push({ class: "state", resource: r.name, message: "deleted with secretPolicy Delete, but its TLS Secret remains" });
      } else if (r.policy.deleteKeyOnDelete) {
        const left = (vendor.zpa?.keys ?? []).filter((k) => k.name === zpaKeyName(r));
        if (left.length > 0)
          findings.push({
            class: "leak",
            resource: r.name,
            message: `deleted with deletionPolicy Delete, but ${left.length} ZPA key(s) remain`,
            vendorObjects: left.map((k) => k.id),
          });
        if (cluster.secrets.has(key(r.namespace, `${r.name}-key`)))
          findings.push({ class: "state", resource: r.name, message: "deleted with deletionPolicy Delete, but its Secret remains" });
      } else {
        const left = (vendor.zpa?.keys ?? []).filter((k) => k.name === zpaKeyName(r));
        if (left.length > 1)
          findings.push({
            class: "leak",
            resource: r.name,
            message: `orphaned, but ${left.length} ZPA keys carry its name (one expected)`,
            vendorObjects: left.map((k) => k.id),
          });
      }
    }
  }

  // ---- vendor-wide: leaks and duplicates of certificates
  const groups = new Map<string, VendorCertificate[]>();
  for (const c of certs) {
    const owner = c.names.map(parseCertName).find((p) => p !== undefined);
    const r = owner === undefined ? undefined : byName.get(owner.resource);
    if (owner === undefined || r === undefined) {
      if (c.alive)
        findings.push({
          class: "leak",
          resource: "(unattributed)",
          message: `${c.vendor} object ${c.id} (${c.names.join(" ")}) is ${c.state} and belongs to no soak resource`,
          vendorObjects: [c.id],
        });
      continue;
    }
    const g = `${r.name}@v${owner.version}`;
    groups.set(g, [...(groups.get(g) ?? []), c]);
    if (c.alive && !certificateAllowed(r, c, cluster)) {
      findings.push({
        class: "leak",
        resource: r.name,
        message: `${c.vendor} object ${c.id} (v${owner.version}) is ${c.state} but tracked by nothing${r.phase === "live" ? "" : ` (resource ${r.phase})`}`,
        vendorObjects: [c.id],
      });
    }
  }
  let duplicates = 0;
  for (const [g, list] of groups) {
    const [name, v] = g.split("@v");
    const r = byName.get(name!)!;
    const allowed = r.intents.get(Number(v)) ?? 0;
    if (list.length > allowed) {
      duplicates += list.length - allowed;
      findings.push({
        class: "duplicate",
        resource: r.name,
        message: `${list.length} ${r.vendor} orders for content version ${v}, ${allowed} asked for (create/edit + renew requests); states: ${list.map((c) => `${c.id}=${c.state}`).join(", ")}`,
        vendorObjects: list.map((c) => c.id),
      });
    }
  }

  // ---- ZPA keys: duplicates per resource from the whole run's history; unattributed keys
  let zpaKeysSeen = 0;
  for (const r of resources.filter((x) => x.kind === "ProvisioningKey")) {
    const ids = vendor.zpaKeyHistory?.get(zpaKeyName(r)) ?? new Set<string>();
    zpaKeysSeen += ids.size;
    if (ids.size > r.keyIntents) {
      duplicates += ids.size - r.keyIntents;
      findings.push({
        class: "duplicate",
        resource: r.name,
        message: `${ids.size} ZPA keys seen under ${zpaKeyName(r)}, ${r.keyIntents} asked for (create + rotations)`,
        vendorObjects: [...ids],
      });
    }
  }
  for (const k of vendor.zpa?.keys ?? []) {
    const m = /^certbridge\.soak-zpa\.(pk-\d{4})$/.exec(k.name);
    if (m !== null && !byName.has(m[1]!))
      findings.push({
        class: "leak",
        resource: "(unattributed)",
        message: `ZPA key ${k.id} named ${k.name} belongs to no soak resource`,
        vendorObjects: [k.id],
      });
  }

  return {
    findings,
    orders: {
      cloudflare: certs.filter((c) => c.vendor === "cloudflare" && c.names.some((n) => parseCertName(n) !== undefined)).length,
      sectigo: certs.filter((c) => c.vendor === "sectigo" && c.names.some((n) => parseCertName(n) !== undefined)).length,
      zpaKeys: zpaKeysSeen,
    },
    duplicates,
    leaks: findings.filter((f) => f.class === "leak").length,
  };
}

/** A live certificate object is fine when a live resource's status names it, or a Retain policy kept it. */
function certificateAllowed(r: TrackedResource, c: VendorCertificate, cluster: ClusterView): boolean {
  if (r.phase === "live") {
    const obj = cluster.objects.get(key(r.namespace, r.name));
    return obj?.metadata.uid === r.uid && obj?.status?.["vendorRef"] === c.id;
  }
  // Deleted with revocationPolicy.onDelete Retain: the certificate it last held stays valid.
  return r.phase === "gone" && r.policy.revokeOnDelete === false && r.lastVendorRef === c.id;
}

function checkLiveCertificate(r: TrackedResource, obj: Obj, cluster: ClusterView, certById: ReadonlyMap<string, VendorCertificate>, findings: Finding[]): void {
  const status = obj.status ?? {};
  if (status["pendingIssuance"] !== undefined) findings.push({ class: "state", resource: r.name, message: "an issuance is still pending" });
  const revocations = status["pendingRevocations"] as unknown[] | undefined;
  if (revocations !== undefined && revocations.length > 0)
    findings.push({ class: "state", resource: r.name, message: `${revocations.length} revocation(s) still pending` });
  const ref = status["vendorRef"] as string | undefined;
  if (ref === undefined) return void findings.push({ class: "state", resource: r.name, message: "status names no vendor object" });
  const cert = certById.get(`${r.vendor}/${ref}`);
  if (cert === undefined) return void findings.push({ class: "state", resource: r.name, message: `status.vendorRef ${ref} does not exist at ${r.vendor}` });
  if (!cert.alive || (r.vendor === "sectigo" && cert.state !== "issued"))
    findings.push({ class: "state", resource: r.name, message: `its vendor object ${ref} is ${cert.state}` });
  const want = certName(r, r.version);
  if (!cert.names.includes(want))
    findings.push({
      class: "state",
      resource: r.name,
      message: `vendor object ${ref} is for ${cert.names.join(" ")}, the spec asks for ${want} (a spec change was lost)`,
    });
  const problem = secretHolds(cluster.secrets.get(key(r.namespace, `${r.name}-tls`)), cert);
  if (problem !== undefined) findings.push({ class: "state", resource: r.name, message: problem, vendorObjects: [ref] });
}

function checkLiveKey(r: TrackedResource, obj: Obj, cluster: ClusterView, vendor: VendorView, findings: Finding[]): void {
  const name = zpaKeyName(r);
  const keys = (vendor.zpa?.keys ?? []).filter((k) => k.name === name);
  const id = obj.status?.["id"] as string | undefined;
  if (keys.length !== 1)
    findings.push({
      class: keys.length > 1 ? "leak" : "state",
      resource: r.name,
      message: `${keys.length} ZPA keys named ${name} (one expected)`,
      vendorObjects: keys.map((k) => k.id),
    });
  const k = keys.find((x) => x.id === id);
  if (k === undefined) return void findings.push({ class: "state", resource: r.name, message: `status.id ${id ?? "(none)"} is not a ZPA key named ${name}` });
  if (k.maxUsage !== r.maxUsage || k.enabled !== r.enabled)
    findings.push({
      class: "state",
      resource: r.name,
      message: `ZPA key ${k.id} has maxUsage=${k.maxUsage} enabled=${k.enabled}, spec says ${r.maxUsage}/${r.enabled}`,
    });
  const value = vendor.zpaValues?.get(k.id);
  const secret = cluster.secrets.get(key(r.namespace, `${r.name}-key`));
  const inSecret = b64(secret?.data?.["provisioningKey"]);
  if (inSecret === undefined) findings.push({ class: "state", resource: r.name, message: "its Secret lacks the key" });
  else if (value !== undefined && inSecret !== value)
    findings.push({ class: "state", resource: r.name, message: `its Secret holds another key than ZPA key ${k.id}` });
}
