// The one I/O check on a first intent kept in the annotation (intent.ts, ADR 0020). An annotation is
// anyone's to write who may edit the resource, and what an intent names is looked up, collected, swept
// and cancelled with the connection's credentials, which a ClusterVendorConnection shares between
// namespaces. A hand-written intent naming another tenant's public key (it is in that tenant's
// certificate, for anyone to read) would have this resource find, and then cancel or revoke, that
// tenant's certificate. So an annotation intent is acted on only when this resource holds the private
// key it names: the key Secret's, or the TLS Secret's (key-repair.ts keyOfIntent). Nobody can hold
// another tenant's private key, so every order such an intent can reach is this resource's own.
//
// Runs before anything reads the intent (the reconcile's first step, deletion included). The common
// path pays nothing: a first issuance's own intent is taken over by status within the reconcile that
// wrote it, so no later reconcile sees it live.
import type { CertificateContext, ResourcePort, SecretAccess } from "./context.ts";
import { ORDER_INTENT_ANNOTATION, intentOf } from "./intent.ts";
import { sealValid } from "./intent-seal.ts";
import { keyOfIntent } from "./key-repair.ts";

/**
 * Whether the intent in flight may be acted on; an annotation intent that proves nothing is marked dead
 * (status takes it over) and reported. `credentials`: the resolved connection's (absent: unavailable).
 */
export async function annotationIntentTrusted(
  ctx: CertificateContext,
  port: ResourcePort,
  io: SecretAccess,
  credentials: Readonly<Record<string, string>> | undefined,
): Promise<boolean> {
  const intent = intentOf(port.obj);
  if (intent?.from !== "annotation") return true;
  if (credentials !== undefined && sealValid(intent.seal, credentials, ctx.owner.uid, intent.record)) return true;
  if ((await keyOfIntent(io, ctx.owner, ctx.mc.spec.secretName, intent.record, ctx.signal)) !== undefined) return true;
  ctx.log.warn(
    { revision: intent.record.revision },
    "ignoring an order-intent annotation that is not sealed by this connection and names a key this resource does not hold",
  );
  port.record({
    type: "Warning",
    reason: "IntentIgnored",
    action: "Issue",
    note: `The ${ORDER_INTENT_ANNOTATION} annotation is not sealed by this resource's connection and names a private key this resource does not hold: it was edited by hand (or the connection's credentials changed and the key Secret was deleted since). It is ignored; nothing it names is looked up, collected, swept or cancelled. If an order was placed with a deleted key, cancel it at the vendor.`,
  });
  await port.save({ ...port.status, orderIntentTaken: intent.id });
  return false;
}
