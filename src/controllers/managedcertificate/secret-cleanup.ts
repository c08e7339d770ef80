// After spec.secretName changes, the TLS Secrets this resource wrote under earlier names are deleted —
// only once the certificate is in the Secret the spec names now, and before status.secretName moves
// to the new name. status.secretName (the Secret last written) is thus the "cleanup pending" mark: a
// crash anywhere in between leaves it on the old name, and the next reconcile deletes again (a 404 is
// success) before moving it. Which Secrets go is read live by this resource's owner UID, so a Secret
// left under a third name (renamed twice around a crash) goes too. Never a Secret of anyone else: the
// owner labels must be exactly this resource's, and the Secret must be a TLS Secret (not the key Secret).
import { labels } from "../../api/v1alpha1/labels.ts";
import { isNotFound } from "../../runtime/kube/errors.ts";
import { core } from "../../runtime/kube/resource.ts";
import { classifySecret, type Secret } from "../shared/owned-secret.ts";
import type { CertificateContext, ResourcePort, SecretAccess } from "./context.ts";
import { keySecretName } from "./keys.ts";
import { TLS_SECRET_TYPE } from "./secret.ts";

/**
 * The name status.secretName may record now, with the certificate in the Secret the spec names: that
 * name once nothing earlier is left (deleting what is), else still the earlier one, to look again.
 */
export async function settledSecretName(ctx: CertificateContext, io: SecretAccess, port: Pick<ResourcePort, "status" | "record">): Promise<string> {
  const recorded = port.status.secretName;
  if (recorded === undefined || recorded === ctx.mc.spec.secretName) return ctx.mc.spec.secretName;
  return (await removeEarlierSecrets(ctx, io, port)) === undefined ? recorded : ctx.mc.spec.secretName;
}

/**
 * Deletes this resource's TLS Secrets other than the one spec.secretName names, when that one is in
 * place (seen live, ours): the names deleted, or undefined when it is not in place (nothing deleted).
 */
export async function removeEarlierSecrets(ctx: CertificateContext, io: SecretAccess, port: Pick<ResourcePort, "record">): Promise<string[] | undefined> {
  const { owner } = ctx;
  const current = ctx.mc.spec.secretName;
  const page = await io.client.list<Secret>(core.secrets, {
    namespace: owner.namespace,
    labelSelector: `${labels.ownerKind}=${owner.kind},${labels.ownerUid}=${owner.uid}`,
    signal: ctx.signal,
  });
  const ours = page.items.filter((s) => classifySecret(s, owner) === "ours");
  // The certificate must be visibly in its new place before anything of the old is taken away.
  if (!ours.some((s) => s.metadata.name === current && s.type === TLS_SECRET_TYPE)) return undefined;
  const earlier = ours.filter((s) => s.metadata.name !== current && s.metadata.name !== keySecretName(owner.name) && s.type === TLS_SECRET_TYPE);
  const deleted: string[] = [];
  for (const secret of earlier) {
    const name = secret.metadata.name ?? "";
    try {
      await io.client.delete(core.secrets, owner.namespace, name, {
        signal: ctx.signal,
        ...(secret.metadata.uid ? { preconditionUid: secret.metadata.uid } : {}),
      });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    deleted.push(name);
    ctx.log.info({ secret: name, secretName: current }, "deleted the Secret of an earlier spec.secretName");
    port.record({
      type: "Normal",
      reason: "SecretMoved",
      action: "Delete",
      note: `Deleted Secret ${name}: the certificate is now in Secret ${current} (spec.secretName changed).`,
    });
  }
  return deleted;
}
