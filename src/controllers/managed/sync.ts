// The driver's sync: observe the external object, decide (decide.ts), act — create, replace, update
// or nothing — through the external-client port. Observe has no side effects; every create is
// announced in status first (create-intent.ts), so a create whose answer is lost is found, not repeated.
import type { Logger } from "pino";
import { Reason } from "../../api/v1alpha1/index.ts";
import type { ExternalIdentity } from "../../ports/managed-resource.ts";
import { isVendorError } from "../../ports/vendor-error.ts";
import { createIntentFor, createRefused, createSettlingMs, originOf, type Origin, type SameName } from "./create-intent.ts";
import { decideSync, needsAdoptionConsent } from "./decide.ts";
import type { AdoptionGate, AnyClient, Claims, DesiredOf, ManagedWords, ObservedOf, Synced } from "./kind.ts";
import { withIntent, withoutIntent } from "./status.ts";
import type { ManagedTools } from "./tools.ts";
import type { ManagedObject, ManagedView, Refusal, Tracked } from "./types.ts";

export type SyncOutcome<C extends AnyClient> =
  | ({ readonly kind: "synced" } & Synced<C>)
  /** A create's outcome is unknown and it may still land: look again after this long, create nothing. */
  | { readonly kind: "wait"; readonly retryAfterMs: number }
  /** A check said no (a claim, adoption): shown with a Warning Event. */
  | ({ readonly kind: "refused" } & Refusal)
  /** Something the spec names does not exist (a reference, or the object ObserveOnly looks for). */
  | { readonly kind: "missing"; readonly message: string };

export interface SyncInput<T extends ManagedObject, C extends AnyClient> {
  readonly t: Tracked<T>;
  readonly view: ManagedView;
  readonly client: C;
  readonly claims: Claims;
  readonly adoption: AdoptionGate;
  readonly words: ManagedWords;
  readonly sameName: SameName;
  readonly tools: ManagedTools<T>;
  readonly log: Logger;
  readonly signal: AbortSignal;
}

/** Make the external object what the spec asks for (Manage), or find and report it (ObserveOnly). */
export async function syncExternal<T extends ManagedObject, C extends AnyClient>(input: SyncInput<T, C>): Promise<SyncOutcome<C>> {
  const { view, client, tools, signal } = input;
  const step = (s: Parameters<ManagedTools<T>["checkpoint"]>[0]) => tools.checkpoint(s, input.t.key);
  const manage = view.management === "Manage";

  let desired: DesiredOf<C> | undefined;
  if (manage) {
    const resolved = await client.resolve(signal);
    if (!resolved.ok) return { kind: "missing", message: resolved.message };
    desired = resolved.desired as DesiredOf<C>;
    await step("references-resolved");
  }

  // By the recorded id first; ObserveOnly follows its spec's name, so a recorded object renamed since is not its object.
  let observed = view.recordedId === undefined ? undefined : ((await client.get(view.recordedId, signal)) as ObservedOf<C> | undefined);
  if (!manage && observed !== undefined && !input.sameName(observed.name, view.externalName)) observed = undefined;
  let origin: Origin | undefined = observed === undefined ? undefined : "recorded";
  if (observed === undefined) {
    observed = (await client.find(view.externalName, signal)) as ObservedOf<C> | undefined;
    if (observed !== undefined) {
      // Found by name: another resource may have recorded it (renamed since, or a padded name). Then it is theirs.
      const refused = input.claims.mayUse(observed.id);
      if (refused !== undefined) return { kind: "refused", ...refused };
      origin = manage ? originOf(observed, view.recordedId, view.intent, input.sameName) : observed.id === view.recordedId ? "recorded" : "preExisting";
    }
  }
  await step("looked-up");

  const decision = {
    management: view.management,
    found: origin,
    recorded: view.recordedId !== undefined,
    adopt: view.adopt,
    replaceRequested: view.replaceRequested,
  };
  const consent = needsAdoptionConsent(decision) && observed !== undefined ? await input.adoption(observed, signal) : undefined;
  const plan = decideSync({
    ...decision,
    adoptionAllowed: consent?.allowed,
    settlingMs: observed === undefined ? createSettlingMs(input.t.object.status?.createIntent, view.externalName, tools.now(), input.sameName) : undefined,
    drifted: observed !== undefined && desired !== undefined && client.diff(desired, observed).length > 0,
  });
  switch (plan.step) {
    case "missing":
      return { kind: "missing", message: client.absent(view.externalName) };
    case "refuse": {
      // Made outside this resource (a console, Terraform, an earlier resource): never taken over silently.
      const what = input.words.preExisting(observed as ExternalIdentity);
      const why = consent !== undefined && !consent.allowed ? consent.message : input.words.howToAdopt;
      return { kind: "refused", reason: Reason.AdoptionNotAllowed, message: `${what}; ${why}` };
    }
    case "wait":
      input.log.debug({ waitMs: plan.retryAfterMs }, "a create's outcome is unknown: looking again before creating again");
      return { kind: "wait", retryAfterMs: plan.retryAfterMs };
    case "create":
      observed = await create(input, desired as DesiredOf<C>);
      break;
    case "replace":
      await client.delete((observed as ExternalIdentity).id, signal);
      await step("replace-deleted");
      observed = await create(input, desired as DesiredOf<C>);
      break;
    case "update": {
      const current = observed as ObservedOf<C>;
      const fields = client.diff(desired, current);
      observed = (await client.update(current, desired, signal)) as ObservedOf<C>;
      await step("updated");
      input.log.info({ fields, id: observed.id }, `updated the ${input.words.system} ${input.words.noun} to match the spec`);
      break;
    }
    case "none":
      break;
  }
  return { kind: "synced", action: plan.result, observed: observed as ObservedOf<C>, desired };
}

/**
 * Announce, then create. An answer that says the vendor did not create (refused, rate-limited,
 * invalid) withdraws the announcement, so the next attempt need not wait out a create that never
 * happened; a lost answer (timeout, 5xx, a crash) leaves it: that create may still land.
 */
async function create<T extends ManagedObject, C extends AnyClient>(input: SyncInput<T, C>, desired: DesiredOf<C>): Promise<ObservedOf<C>> {
  const { t, tools, signal } = input;
  const current = t.object.status?.createIntent;
  const intent = createIntentFor(current, input.view.externalName, tools.date(), input.sameName);
  if (current?.since !== intent.since || current.name !== intent.name) {
    await tools.write(t, withIntent(t.object.status, intent) as NonNullable<T["status"]>, signal);
    await tools.checkpoint("intent-recorded", t.key);
  }
  try {
    const created = (await input.client.create(desired, signal)) as ObservedOf<C>;
    await tools.checkpoint("created", t.key);
    return created;
  } catch (e) {
    if (isVendorError(e) && createRefused(e.kind) && t.object.status?.createIntent !== undefined) {
      t.object = { ...t.object, status: withoutIntent(t.object.status) }; // the failure's status write drops it
    }
    throw e;
  }
}
