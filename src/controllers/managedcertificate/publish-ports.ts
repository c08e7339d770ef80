// What publishing to ZPA is handed (the connection resolver, the two ZPA ports, Secret access), how a
// connection becomes the handles a pass uses, and where the certificate to publish is read from.
import { Reason } from "../../api/v1alpha1/conditions.ts";
import type { ApplicationSegmentService } from "../../ports/application-segments.ts";
import { type ResolvedConnection, zpaMicrotenantOf } from "../../ports/connection.ts";
import type { BrowserCertificateStore } from "../../ports/provisioning-keys.ts";
import type { ConnectionRef } from "../shared/connections.ts";
import type { CertificateContext, Connections, SecretAccess } from "./context.ts";
import { type CertificateFacts, certificateFacts } from "./publish-plan.ts";
import { leafOf, readTargetSecret, serialOf } from "./secret.ts";

/** A publish that failed for a reason time may fix is tried again this often. */
export const PUBLISH_RETRY_MS = 10 * 60_000;
/** A copy kept because segments serve it, or a segment that did not read back right, is looked at again this often. */
export const HELD_RECHECK_MS = 60_000;

export interface PublishPorts {
  readonly connections: Connections;
  /** Absent in builds without ZPA publishing. */
  readonly browserCertificates?: ((connection: ResolvedConnection) => BrowserCertificateStore) | undefined;
  /** Absent in builds without application segments (spec.publish.zpa.applicationSegments is then refused). */
  readonly applicationSegments?: ((connection: ResolvedConnection) => ApplicationSegmentService) | undefined;
  readonly io: SecretAccess;
}

/** The publish ports out of the reconciler's dependencies. */
export function publishPortsOf(deps: {
  readonly connections: Connections;
  readonly ports: {
    readonly browserCertificates?: ((c: ResolvedConnection) => BrowserCertificateStore) | undefined;
    readonly applicationSegments?: ((c: ResolvedConnection) => ApplicationSegmentService) | undefined;
  };
  readonly client: SecretAccess["client"];
  readonly secrets: SecretAccess["secrets"];
}): PublishPorts {
  return {
    connections: deps.connections,
    browserCertificates: deps.ports.browserCertificates,
    applicationSegments: deps.ports.applicationSegments,
    io: { client: deps.client, secrets: deps.secrets },
  };
}

/** `<base>-r<revision>`; base is spec.publish.zpa.name or `<namespace>-<name>`. */
export function zpaCertificateName(base: string | undefined, namespace: string, name: string, revision: number): string {
  const prefix = (base ?? `${namespace}-${name}`).slice(0, 240);
  return `${prefix}-r${revision}`;
}

/** The base of a name zpaCertificateName made (to find a revision's copy when only a recorded name is left). */
export function zpaNameBase(recordedName: string | undefined): string | undefined {
  const m = recordedName === undefined ? null : /^(.*)-r\d+$/.exec(recordedName);
  return m?.[1];
}

/** A ZPA connection resolved into the handles a publish or unpublish pass uses. */
export interface ZpaLink {
  readonly ok: true;
  readonly store: BrowserCertificateStore;
  readonly segments: ApplicationSegmentService | undefined;
  readonly microtenantId: string | undefined;
  /** Through a ClusterVendorConnection: other namespaces' segments are behind it too (publish-plan.ts judgeSegment). */
  readonly shared: boolean;
}

export type LinkLookup = ZpaLink | { readonly ok: false; readonly reason: string; readonly message: string };

export async function linkZpa(ctx: CertificateContext, ports: PublishPorts, ref: ConnectionRef, purpose: "provision" | "cleanup"): Promise<LinkLookup> {
  const lookup = await ports.connections.resolve(ref, ctx.owner.namespace, "zpa", ctx.signal, { purpose });
  if (!lookup.ok) return { ok: false, reason: lookup.reason, message: lookup.message };
  const store = ports.browserCertificates?.(lookup.connection);
  if (store === undefined) return { ok: false, reason: Reason.PublishFailed, message: "Publishing to ZPA is not available in this operator build." };
  return {
    ok: true,
    store,
    segments: ports.applicationSegments?.(lookup.connection),
    microtenantId: zpaMicrotenantOf(lookup.connection),
    shared: lookup.connection.kind === "ClusterVendorConnection",
  };
}

export interface Publishable {
  /** tls.crt as written (leaf and chain) and tls.key: what ZPA's certBlob holds. */
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  /** The leaf's DNS names and usage. */
  readonly certificate: CertificateFacts;
}

/**
 * The certificate and key of serial `serialNumber` from the TLS Secret, or undefined if the Secret
 * does not hold them (yet). The cache may lag the write that just put them there: then it is read
 * from the API server once more.
 */
export async function readPublishable(ctx: CertificateContext, io: SecretAccess, serialNumber: string): Promise<Publishable | undefined> {
  for (const live of [false, true]) {
    const secret = (await readTargetSecret(io, ctx.owner, ctx.mc.spec.secretName, live, ctx.signal)).secret;
    const crt = secret?.data?.["tls.crt"];
    const key = secret?.data?.["tls.key"];
    if (crt === undefined || key === undefined) continue;
    const certificatePem = Buffer.from(crt, "base64").toString("utf8");
    const leaf = leafOf(certificatePem);
    if (leaf === undefined || !sameSerial(leaf, serialNumber)) continue;
    return { certificatePem, privateKeyPem: Buffer.from(key, "base64").toString("utf8"), certificate: certificateFacts(leaf) };
  }
  return undefined;
}

function sameSerial(leafPem: string, serialNumber: string): boolean {
  try {
    return serialOf(leafPem) === serialNumber.toLowerCase();
  } catch {
    return false;
  }
}
