// What this process knows for certain about first orders: the revisions whose key it stored itself and
// for which it has recorded no intent since. A key found already stored for a first order means an
// earlier pass may have ordered with it (request.ts: looked up for a settle window first), unless that
// earlier pass was this process and never got as far as an intent: a 409 on the intent's write (someone
// edited the resource meanwhile) or a spent budget. Then nothing was sent, and nothing need wait.
// In memory on purpose: after a restart nothing is known, and the look-up is the safe answer.

/** Entries past this are dropped wholesale (each is a resource's pending first order, a few dozen bytes). */
const MAX_ENTRIES = 10_000;

export class UnsentKeys {
  readonly #unsent = new Set<string>();

  /** This process stored the revision's key, and no intent has been recorded for it yet. */
  stored(uid: string, revision: number): void {
    if (this.#unsent.size >= MAX_ENTRIES) this.#unsent.clear();
    this.#unsent.add(`${uid}/${revision}`);
  }

  /** An intent for the revision is about to be written (a paid call may follow): no longer certain. */
  recording(uid: string, revision: number): void {
    this.#unsent.delete(`${uid}/${revision}`);
  }

  /** This process stored the key and nothing was sent with it. */
  neverSent(uid: string, revision: number): boolean {
    return this.#unsent.has(`${uid}/${revision}`);
  }
}
