// The seeded scheduler. Every call a reconciler makes into a model (the Kubernetes API, a vendor, the
// connection resolver) parks as an "op" until the scheduler lets it through, and then with one of
// the outcomes below. Reconcile tasks, informer deliveries, background vendor work and user actions
// are interleaved by the same seeded choices, in virtual time, so a seed replays the same schedule.
//
// Determinism: before each choice the scheduler waits until every task is either parked on an op or
// finished (work on the thread pool, such as key generation, finishes first), so the set of choices
// never depends on how fast the machine is. Each task draws Math.random from its own seeded stream.
import { AsyncLocalStorage } from "node:async_hooks";
import type { VirtualClock } from "./clock.ts";
import type { Rng } from "./rng.ts";
import type { Trace } from "./trace.ts";

/** What happens to a parked call. */
export type Outcome =
  | "ok" // the call reaches the server and the answer reaches the caller
  | "fail" // refused before any effect (5xx, 429, connection refused)
  | "lost" // the effect happens, the answer is lost (timeout, reset, 5xx from a proxy after the fact)
  | "defer" // the caller gives up (timeout); the server commits the effect later
  | "garble" // the object exists, but the answer is unusable (malformed or oversized body)
  | "crash"; // the process dies while the call is in flight (the request may or may not have landed)

export interface ProcessHandle {
  readonly id: number;
  alive: boolean;
}

export interface TaskInfo {
  readonly controller: string;
  /** "ns/name" of the resource being reconciled. */
  readonly key: string;
  readonly namespace: string;
  /** UID of the resource as the task first saw it (from its cache). */
  readonly uid: string | undefined;
}

export class Task {
  readonly id: number;
  readonly process: ProcessHandle;
  readonly info: TaskInfo;
  readonly rng: Rng;
  pending = 0;
  finished = false;
  /** The task has seen its resource, namespace or connection being deleted (order-after-delete check). */
  sawDeletion = false;

  constructor(id: number, process: ProcessHandle, info: TaskInfo, rng: Rng) {
    this.id = id;
    this.process = process;
    this.info = info;
    this.rng = rng;
  }

  get label(): string {
    return `${this.info.controller === "managedcertificate" ? "mc" : "pk"} ${this.info.key}`;
  }
}

const tasks = new AsyncLocalStorage<Task>();

/** The reconcile task the current code runs in (through every await), if any. */
export function currentTask(): Task | undefined {
  return tasks.getStore();
}

export interface OpSpec<R> {
  readonly kind: "kube" | "vendor" | "connection";
  readonly label: string;
  /** The server side of the call; may throw (a 404, a 409: the server's own answers). */
  readonly effect: () => R | Promise<R>;
  /** The error a caller sees when the call is refused before any effect; none: the call cannot fail so. */
  readonly fail?: () => Error;
  /** The error a caller sees when the effect happened but the answer was lost. */
  readonly lost?: () => Error;
  /** The effect may commit up to this long after the caller gave up (vendor processing delay). */
  readonly deferMaxMs?: number;
  /** The error for an unusable answer about an object that exists. */
  readonly garble?: () => Error;
  /** Looks at a successful answer (e.g. "this task has now seen a deletionTimestamp"). */
  readonly observe?: (task: Task, result: R) => void;
}

interface Parked {
  readonly id: number;
  readonly task: Task;
  readonly spec: OpSpec<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

export interface TimedEvent {
  readonly at: number;
  readonly seq: number;
  readonly label: string;
  readonly run: () => void | Promise<void>;
  cancelled?: boolean;
}

export class ProcessCrashed extends Error {
  override readonly name = "ProcessCrashed";
}

export interface FaultWeights {
  readonly ok: number;
  readonly fail: number;
  readonly lost: number;
  readonly defer: number;
  readonly garble: number;
  readonly crash: number;
}

export const NO_FAULTS: FaultWeights = { ok: 1, fail: 0, lost: 0, defer: 0, garble: 0, crash: 0 };

export class Scheduler {
  readonly clock: VirtualClock;
  readonly rng: Rng;
  readonly trace: Trace;
  readonly #parked: Parked[] = [];
  readonly #tasks = new Set<Task>();
  #events: TimedEvent[] = [];
  #opSeq = 0;
  #taskSeq = 0;
  #eventSeq = 0;
  faults: FaultWeights = NO_FAULTS;
  /** Called when an op outcome is "crash": the world restarts the process. */
  onCrash: (process: ProcessHandle) => void = () => {};
  steps = 0;

  constructor(clock: VirtualClock, rng: Rng, trace: Trace) {
    this.clock = clock;
    this.rng = rng;
    this.trace = trace;
  }

  log(line: string): void {
    this.trace.add(this.clock.now(), line);
  }

  // ------------------------------------------------------------------ tasks and ops

  /** Runs `body` as a task: every op it makes is attributed to it and parks until chosen. */
  spawn<R>(process: ProcessHandle, info: TaskInfo, rng: Rng, body: () => Promise<R>, init?: (task: Task) => void): { task: Task; done: Promise<R> } {
    const task = new Task(++this.#taskSeq, process, info, rng);
    init?.(task);
    this.#tasks.add(task);
    const done = tasks.run(task, body).finally(() => {
      task.finished = true;
      this.#tasks.delete(task);
    });
    return { task, done };
  }

  /** Called by the model facades: parks the call until the scheduler decides its outcome. */
  op<R>(spec: OpSpec<R>): Promise<R> {
    const task = currentTask();
    if (task === undefined) return Promise.reject(new Error(`model call outside a reconcile task: ${spec.label}`));
    if (!task.process.alive) return Promise.reject(new ProcessCrashed(`process ${task.process.id} is gone`));
    return new Promise<R>((resolve, reject) => {
      task.pending++;
      this.#parked.push({ id: ++this.#opSeq, task, spec: spec as OpSpec<unknown>, resolve: resolve as (v: unknown) => void, reject });
    });
  }

  /** Parked calls of live processes, oldest first. */
  parked(): readonly Parked[] {
    return this.#parked.filter((p) => p.task.process.alive);
  }

  get liveTasks(): number {
    return this.#tasks.size;
  }

  /** Rejects every call parked by `process` (it died) without any effect. */
  dropProcess(process: ProcessHandle): void {
    for (const p of [...this.#parked]) {
      if (p.task.process !== process) continue;
      this.#remove(p);
      p.reject(new ProcessCrashed(`process ${process.id} died`));
    }
  }

  #remove(p: Parked): void {
    const i = this.#parked.indexOf(p);
    if (i >= 0) this.#parked.splice(i, 1);
    p.task.pending--;
  }

  /** Waits until every task is parked on an op or finished. */
  async settle(): Promise<void> {
    const deadline = performance.now() + 15_000;
    for (;;) {
      let running: Task | undefined;
      for (const t of this.#tasks) {
        if (t.pending === 0) {
          running = t;
          break;
        }
      }
      if (running === undefined) return;
      if (performance.now() > deadline) {
        throw new Error(
          `task #${running.id} (${running.label}) neither finished nor called a model for 15 s of real time: a timer of its own or I/O the simulation does not model`,
        );
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Chooses an outcome for a parked call under the current fault weights. */
  chooseOutcome(p: Parked): Outcome {
    const f = this.faults;
    const s = p.spec;
    return this.rng.weighted<Outcome>([
      ["ok", f.ok],
      ["fail", s.fail ? f.fail : 0],
      ["lost", s.lost ? f.lost : 0],
      ["defer", s.deferMaxMs !== undefined ? f.defer : 0],
      ["garble", s.garble ? f.garble : 0],
      ["crash", f.crash],
    ]);
  }

  /** Lets a parked call through with `outcome`. */
  async step(p: Parked, outcome: Outcome): Promise<void> {
    this.steps++;
    this.#remove(p);
    // Every call takes a little virtual time, so timestamps are distinct and ordered.
    this.clock.advanceBy(1 + this.rng.int(50));
    this.log(`op#${p.id} ${p.task.label} ${p.spec.label}${outcome === "ok" ? "" : `  → ${outcome.toUpperCase()}`}`);
    const s = p.spec;
    switch (outcome) {
      case "ok": {
        let result: unknown;
        try {
          result = await s.effect();
        } catch (error) {
          this.log(`      ← ${describe(error)}`);
          p.reject(error);
          return;
        }
        s.observe?.(p.task, result);
        p.resolve(result);
        return;
      }
      case "fail":
        p.reject(s.fail!());
        return;
      case "lost":
        await this.#swallow(s);
        p.reject(s.lost!());
        return;
      case "defer": {
        const delay = 1 + this.rng.int(s.deferMaxMs!);
        this.at(this.clock.now() + delay, `deferred commit of op#${p.id} (${s.label})`, () => this.#swallow(s));
        p.reject(s.lost!());
        return;
      }
      case "garble":
        p.reject(s.garble!());
        return;
      case "crash": {
        // The request may have reached the server before the process died.
        const landed = s.kind !== "connection" && this.rng.chance(0.5);
        if (landed) await this.#swallow(s);
        this.log(`      process ${p.task.process.id} killed${landed ? " after the request landed" : ""}`);
        p.reject(new ProcessCrashed("killed"));
        this.onCrash(p.task.process);
        return;
      }
    }
  }

  async #swallow(s: OpSpec<unknown>): Promise<void> {
    try {
      await s.effect();
    } catch {
      // The server refused it (404, 409): nothing happened, and nobody hears about it.
    }
  }

  // ------------------------------------------------------------------ timeline

  at(at: number, label: string, run: () => void | Promise<void>): TimedEvent {
    const event: TimedEvent = { at: Math.max(at, this.clock.now()), seq: ++this.#eventSeq, label, run };
    this.#events.push(event);
    return event;
  }

  /** Events due now, in time order. */
  due(): TimedEvent[] {
    const now = this.clock.now();
    this.#events = this.#events.filter((e) => !e.cancelled);
    return this.#events.filter((e) => e.at <= now).sort((a, b) => a.at - b.at || a.seq - b.seq);
  }

  /** The earliest pending event. */
  nextEvent(): TimedEvent | undefined {
    let best: TimedEvent | undefined;
    for (const e of this.#events) {
      if (e.cancelled) continue;
      if (best === undefined || e.at < best.at || (e.at === best.at && e.seq < best.seq)) best = e;
    }
    return best;
  }

  async runEvent(e: TimedEvent): Promise<void> {
    e.cancelled = true;
    this.steps++;
    this.log(`· ${e.label}`);
    await e.run();
  }
}

export function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message.slice(0, 160)}`;
  return String(error);
}
