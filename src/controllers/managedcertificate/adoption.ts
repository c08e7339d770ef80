// Re-adoption: a ManagedCertificate deleted with secretPolicy.onDelete Retain and applied again under
// the same name (what a GitOps prune and re-create does) finds "its" Secret owned by the previous
// incarnation's UID. If that Secret is provably what this operator wrote and still serves the spec,
// the new incarnation takes it over instead of reporting SecretConflict or paying for a new order.
//
// What proves "written by certbridge for a previous incarnation of this resource" (all of them):
// - labels certbridge.dev/managed=true, owner-kind=ManagedCertificate, owner-name=<this name> (same
//   namespace by construction) and an owner-uid that is not ours;
// - annotations certbridge.dev/revision and certbridge.dev/vendor-ref, and certbridge.dev/content-hash
//   equal to the hash of the data as it is now (nobody changed what we wrote);
// - no ownerReferences (a Secret whose owner is gone is about to be garbage-collected).
// Used as is only when moreover: type kubernetes.io/tls; tls.key belongs to the leaf in tls.crt; the
// certificate is valid now and carries the names and key type the spec asks for; and the vendor,
// asked with the recorded vendor-ref (a free collect), answers with that very certificate (same
// serial), not revoked — which also ties it to this resource's connection.
import { X509Certificate } from "node:crypto";
import { Reason } from "../../api/v1alpha1/conditions.ts";
import { API_VERSION, MANAGED_LABEL_VALUE, annotations, labels } from "../../api/v1alpha1/index.ts";
import type { ManagedCertificateSpec } from "../../api/v1alpha1/managedcertificate.ts";
import { type CertificateAuthority, vendorRefused } from "../../ports/certificate-authority.ts";
import { VendorError, isRetryable } from "../../ports/vendor-error.ts";
import { inspectCertificate } from "../../pki/inspect.ts";
import { keyMatchesCertificate } from "../../pki/inspect.ts";
import { core } from "../../runtime/kube/resource.ts";
import { iso } from "../ordering/record.ts";
import { contentHash, type Secret } from "../shared/owned-secret.ts";
import type { CertificateContext, ResourcePort, SecretAccess, Status } from "./context.ts";
import { intentOf } from "./intent.ts";
import { keyFitsSpec } from "./keys.ts";
import { buildOrder } from "./order.ts";
import { issuedCondition, notIssuing, withConditions } from "./readiness.ts";
import { keyInSecret, leafOf, TLS_SECRET_TYPE } from "./secret.ts";
import { renewalTime } from "./trigger.ts";

/**
 * What a foreign Secret is to this resource: not ours at all; written by certbridge for a previous
 * incarnation but no longer usable (taken over, then re-issued into); or usable as is.
 */
export type RetainedSecret =
  | { readonly ok: false; readonly why: string }
  | { readonly ok: true; readonly usable: false; readonly why: string }
  | { readonly ok: true; readonly usable: true; readonly revision: number; readonly vendorRef: string; readonly leafPem: string };

/** The local checks (no I/O): provenance first (labels, annotations, content hash), then usability. */
export async function retainedByPreviousIncarnation(
  secret: Secret | undefined,
  owner: { name: string; uid: string },
  spec: ManagedCertificateSpec,
  now: Date,
): Promise<RetainedSecret> {
  if (secret === undefined) return { ok: false, why: "absent" };
  const l = secret.metadata.labels ?? {};
  const a = secret.metadata.annotations ?? {};
  if (l[labels.managed] !== MANAGED_LABEL_VALUE || l[labels.ownerKind] !== "ManagedCertificate" || l[labels.ownerName] !== owner.name)
    return { ok: false, why: "not written by certbridge for this name" };
  if (l[labels.ownerUid] === undefined || l[labels.ownerUid] === owner.uid) return { ok: false, why: "no previous owner UID" };
  if ((secret.metadata.ownerReferences ?? []).length > 0) return { ok: false, why: "it has an owner and will be garbage-collected" };
  const revision = Number(a[annotations.revision]);
  const vendorRef = a[annotations.vendorRef];
  if (!Number.isSafeInteger(revision) || revision < 1 || vendorRef === undefined || vendorRef === "")
    return { ok: false, why: "no revision or vendor reference annotation" };
  if (a[annotations.contentHash] !== contentHash(secret.data ?? {})) return { ok: false, why: "its data changed after certbridge wrote it" };
  // Provenance is proven from here on: what is left decides between using it and re-issuing into it.
  if (secret.type !== TLS_SECRET_TYPE) return { ok: true, usable: false, why: "not a kubernetes.io/tls Secret" };
  const key = keyInSecret(secret);
  const leaf = leafOf(Buffer.from(secret.data?.["tls.crt"] ?? "", "base64").toString("utf8"));
  if (key === undefined || leaf === undefined || !keyMatchesCertificate(key, leaf))
    return { ok: true, usable: false, why: "tls.key does not belong to tls.crt" };
  if (!keyFitsSpec(key, spec)) return { ok: true, usable: false, why: "the key does not match spec.privateKey" };
  const info = await inspectCertificate(leaf);
  if (now.getTime() < info.notBefore.getTime() || now.getTime() >= info.notAfter.getTime())
    return { ok: true, usable: false, why: "the certificate is not valid now" };
  if (!namesMatch(info, spec)) return { ok: true, usable: false, why: "the certificate's names differ from the spec" };
  return { ok: true, usable: true, revision, vendorRef, leafPem: leaf };
}

const norm = (xs: readonly string[] | undefined) => new Set((xs ?? []).map((x) => x.toLowerCase()));

/** Every name the spec asks for is in the certificate, and it holds no DNS or IP name the spec does not ask for. */
function namesMatch(info: Awaited<ReturnType<typeof inspectCertificate>>, spec: ManagedCertificateSpec): boolean {
  const has = { dns: norm(info.sans.dnsNames), ip: norm(info.sans.ipAddresses), email: norm(info.sans.emailAddresses), uri: norm(info.sans.uris) };
  const want = { dns: norm(spec.dnsNames), ip: norm(spec.ipAddresses), email: norm(spec.emailAddresses), uri: norm(spec.uris) };
  for (const k of ["dns", "ip", "email", "uri"] as const) for (const n of want[k]) if (!has[k].has(n)) return false;
  const cn = spec.commonName?.toLowerCase();
  if (cn !== undefined && info.subjectCn?.toLowerCase() !== cn) return false;
  for (const n of has.dns) if (!want.dns.has(n) && n !== cn) return false;
  for (const n of has.ip) if (!want.ip.has(n) && n !== cn) return false;
  return true;
}

/** What became of a foreign Secret: not ours to take; taken over (a new certificate is issued into it); or adopted as is. */
export type AdoptionOutcome = "notOurs" | "takenOver" | "adopted";

/**
 * Takes over a Secret a previous incarnation left behind, when its provenance is proven (see the
 * module comment): used as is when it still serves the spec and the vendor confirms it (no order;
 * status records it, Ready as usual); otherwise only taken over, and the normal policies re-issue
 * into it. `notOurs`: the caller reports SecretConflict as before.
 */
export async function adoptRetainedSecret(
  ctx: CertificateContext,
  io: SecretAccess,
  ca: CertificateAuthority,
  port: ResourcePort,
  secret: Secret | undefined,
): Promise<AdoptionOutcome> {
  const status = port.status;
  if (status.revision !== undefined || intentOf(port.obj) !== undefined || secret === undefined) return "notOurs";
  const local = await retainedByPreviousIncarnation(secret, ctx.owner, ctx.mc.spec, ctx.now);
  if (!local.ok) {
    if (local.why !== "absent" && local.why !== "not written by certbridge for this name")
      ctx.log.info({ secret: ctx.mc.spec.secretName, why: local.why }, "not taking over the Secret");
    return "notOurs";
  }
  const usable = local.usable ? await vendorConfirms(ctx, ca, secret, local) : false;
  // An adopted certificate is revoked on delete per policy: the finalizer first (a deleting resource adopts nothing).
  await port.ensureFinalizer();
  if (port.obj.metadata.deletionTimestamp !== undefined) return "takenOver";
  await takeOver(ctx, io, secret);
  if (!local.usable || !usable) {
    const why = local.usable ? "the vendor does not confirm its certificate (revoked, or not this connection's)" : local.why;
    ctx.log.info(
      { secret: ctx.mc.spec.secretName, why },
      "took over the Secret of a previous incarnation; its certificate cannot be used, a new one is issued into it",
    );
    port.record({
      type: "Normal",
      reason: "SecretTakenOver",
      action: "Adopt",
      note: `Secret ${ctx.mc.spec.secretName} was written for a previous ManagedCertificate of this name; ${why}, so a new certificate is issued into it.`,
    });
    return "takenOver";
  }
  const cert = new X509Certificate(local.leafPem);
  const notBefore = cert.validFromDate;
  const notAfter = cert.validToDate;
  const adopted: Status = {
    ...status,
    revision: local.revision,
    serialNumber: cert.serialNumber.toLowerCase(),
    notBefore: iso(notBefore),
    notAfter: iso(notAfter),
    renewalTime: iso(renewalTime(notBefore, notAfter, ctx.mc.spec.renewBefore)),
    vendorRef: local.vendorRef,
    issuedSpecHash: ctx.specHash,
    secretName: ctx.mc.spec.secretName,
  };
  // The usual Ready (steady writes nothing more); the Adopted Event tells where the certificate came from.
  await port.save(withConditions(adopted, port.obj.metadata.generation, ctx.now, issuedCondition(adopted, ctx.mc.spec), notIssuing()));
  port.record({
    type: "Normal",
    reason: Reason.Adopted,
    action: "Adopt",
    note: `Secret ${ctx.mc.spec.secretName} (serial ${adopted.serialNumber}, ${ctx.vendor} ${local.vendorRef}) was written for a previous ManagedCertificate of this name and still fits the spec; it is used as is.`,
  });
  ctx.log.info({ secret: ctx.mc.spec.secretName, vendorRef: local.vendorRef, revision: local.revision }, "re-adopted the Secret of a previous incarnation");
  return "adopted";
}

/** A free collect with the recorded reference must answer with this very certificate, not revoked. */
async function vendorConfirms(
  ctx: CertificateContext,
  ca: CertificateAuthority,
  secret: Secret,
  local: Extract<RetainedSecret, { usable: true }>,
): Promise<boolean> {
  try {
    const out = await ca.collect(local.vendorRef, await buildOrder(ctx.mc.spec, ctx.owner, ctx.specHash, keyInSecret(secret)!, local.revision), ctx.signal);
    ctx.countCall(ctx.vendor, "collect");
    const leaf = out.state === "issued" ? leafOf(out.chainPem) : undefined;
    return leaf !== undefined && new X509Certificate(leaf).serialNumber === new X509Certificate(local.leafPem).serialNumber;
  } catch (error) {
    // Not confirmed means a new order: only the vendor's own answer may say so, never a garbled one.
    if (!(error instanceof VendorError) || isRetryable(error.kind) || error.kind === "credentials" || !vendorRefused(error)) throw error;
    return false;
  }
}

/** Our UID on the Secret, guarded by its resourceVersion (a Secret changed since we read it is judged again). */
async function takeOver(ctx: CertificateContext, io: SecretAccess, secret: Secret): Promise<void> {
  const ownerReferences =
    ctx.mc.spec.secretPolicy.onDelete === "Delete"
      ? [{ apiVersion: API_VERSION, kind: "ManagedCertificate", name: ctx.owner.name, uid: ctx.owner.uid, controller: true, blockOwnerDeletion: false }]
      : undefined;
  await io.client.mergePatch(
    core.secrets,
    ctx.owner.namespace,
    ctx.mc.spec.secretName,
    {
      metadata: {
        resourceVersion: secret.metadata.resourceVersion,
        labels: { [labels.ownerUid]: ctx.owner.uid },
        ...(ownerReferences === undefined ? {} : { ownerReferences }),
      },
    },
    { signal: ctx.signal },
  );
}
