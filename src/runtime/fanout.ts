// Map-to-requests (controller-runtime's handler.EnqueueRequestsFromMapFunc): a change to an object of
// one kind wakes the keys of another kind's queue — a connection wakes the resources that use it, an
// owned Secret wakes its owner. Level-based: the map sees the object before and after, never the
// event type, and each key is enqueued once per change however many ways it was reached.
import type { ChangeListener } from "./informer.ts";
import type { KubeObject } from "./kube/resource.ts";

export type MapToKeys<T> = (current: T | undefined, previous: T | undefined, key: string) => Iterable<string | undefined>;

export interface FanOutOptions<T> {
  /** Only changes that matter wake anyone (a status write, a resync usually does not). Default: every change. */
  readonly when?: (current: T | undefined, previous: T | undefined) => boolean;
  /** Told how many keys each change woke (a metric, a test's count). */
  readonly onFanOut?: (woken: number) => void;
}

/** A change listener for the source's cache: it maps each change to keys and enqueues each once. */
export function mapToRequests<T extends KubeObject>(map: MapToKeys<T>, enqueue: (key: string) => void, opts: FanOutOptions<T> = {}): ChangeListener<T> {
  return (key, current, previous) => {
    if (opts.when !== undefined && !opts.when(current, previous)) return;
    const keys = new Set<string>();
    for (const k of map(current, previous, key)) if (k !== undefined && k !== "") keys.add(k);
    for (const k of keys) enqueue(k);
    opts.onFanOut?.(keys.size);
  };
}

/** The common map: the same function applied to the object before and after (an owner, a referenced name). */
export function bothSides<T>(keysOf: (object: T) => Iterable<string | undefined>): MapToKeys<T> {
  return function* (current, previous) {
    if (current !== undefined) yield* keysOf(current);
    if (previous !== undefined) yield* keysOf(previous);
  };
}
