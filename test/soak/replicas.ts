// Operator replicas as real `certbridge run` child processes, supervised the way a kubelet would:
// a process that dies (SIGKILLed by the chaos loop, or exiting on its own after losing the lease) is
// started again. Every start, kill and exit is recorded with its time, for the leader-gap measure.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, type WriteStream } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const CLI = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));

export type ReplicaEventKind = "start" | "kill" | "exit" | "became-leader" | "lost-leadership" | "fatal";

export interface ReplicaEvent {
  readonly at: number;
  readonly slot: string;
  readonly identity: string;
  readonly kind: ReplicaEventKind;
  readonly detail?: string;
}

/** One process lifetime: the interval a given identity was running. */
export interface Incarnation {
  readonly slot: string;
  readonly identity: string;
  readonly startedAt: number;
  endedAt: number | undefined;
}

interface Slot {
  readonly name: string;
  generation: number;
  identity: string;
  child: ChildProcess | undefined;
  incarnation: Incarnation | undefined;
  /** Set while a planned restart is pending, so a self-exit does not start a second process. */
  restartTimer: NodeJS.Timeout | undefined;
  /** The next start reuses the identity (a container restart in the same pod) unless told otherwise. */
  nextIdentityFresh: boolean;
  log: WriteStream;
}

export interface ReplicaSetOptions {
  readonly kubeconfig: string;
  readonly leaseNamespace: string;
  readonly logDir: string;
  readonly slots: readonly string[];
  /** How long a replica that exited on its own waits before it is started again. */
  readonly crashRestartDelayMs?: number;
  readonly extraArgs?: readonly string[];
}

export class ReplicaSet {
  readonly events: ReplicaEvent[] = [];
  readonly incarnations: Incarnation[] = [];
  readonly #o: ReplicaSetOptions;
  readonly #slots = new Map<string, Slot>();
  /** Processes the chaos loop killed: their exit is expected, whenever it is reported. */
  readonly #killed = new WeakSet<ChildProcess>();
  /** Every process not yet reported exited. */
  readonly #children = new Set<ChildProcess>();
  /** Most operator processes alive at once (a sanity check: never more than the slots). */
  maxConcurrent = 0;
  #stopping = false;
  /** The slot whose current process last logged "became leader" (cleared when it exits or loses the lease). */
  leaderSlot: string | undefined;
  /** Exits nobody asked for (not a chaos kill, not shutdown): e.g. leadership lost during an API outage. */
  selfExits = 0;

  constructor(options: ReplicaSetOptions) {
    this.#o = options;
    for (const name of options.slots) {
      this.#slots.set(name, {
        name,
        generation: 0,
        identity: `replica-${name}-0`,
        child: undefined,
        incarnation: undefined,
        restartTimer: undefined,
        nextIdentityFresh: false,
        log: createWriteStream(join(options.logDir, `replica-${name}.log`), { flags: "a" }),
      });
    }
  }

  get slotNames(): string[] {
    return [...this.#slots.keys()];
  }

  startAll(): void {
    for (const slot of this.#slots.values()) this.#start(slot);
  }

  isAlive(slot: string): boolean {
    return this.#running(this.#slots.get(slot)?.child);
  }

  /** Started, not killed by us, not exited. */
  #running(child: ChildProcess | undefined): boolean {
    return child !== undefined && !this.#killed.has(child) && child.exitCode === null && child.signalCode === null;
  }

  aliveSlots(): string[] {
    return this.slotNames.filter((s) => this.isAlive(s));
  }

  slotOf(identity: string): string | undefined {
    return [...this.#slots.values()].find((s) => s.identity === identity)?.name;
  }

  identityOf(slot: string): string | undefined {
    return this.#slots.get(slot)?.identity;
  }

  /**
   * SIGKILL the slot's process now and start it again after `restartAfterMs`, under a fresh identity
   * (a replacement pod) or the same one (the container restarted in place).
   */
  async kill(slotName: string, restartAfterMs: number, freshIdentity: boolean): Promise<boolean> {
    const slot = this.#slots.get(slotName);
    if (slot === undefined || !this.isAlive(slotName)) return false;
    const child = slot.child!;
    const exited = once(child, "exit");
    this.#event(slot, "kill");
    slot.nextIdentityFresh = freshIdentity;
    // Scheduled before the signal: the exit handler sees a planned restart and leaves it alone.
    this.#killed.add(child);
    this.#scheduleRestart(slot, restartAfterMs);
    child.kill("SIGKILL");
    // Dead from this moment: under load the exit event can arrive after the restart has begun.
    if (slot.incarnation !== undefined) slot.incarnation.endedAt = Date.now();
    if (this.leaderSlot === slotName) this.leaderSlot = undefined;
    await exited;
    return true;
  }

  async stopAll(): Promise<void> {
    this.#stopping = true;
    for (const slot of this.#slots.values()) {
      if (slot.restartTimer !== undefined) clearTimeout(slot.restartTimer);
      slot.restartTimer = undefined;
    }
    await Promise.all(
      [...this.#children].map(async (child) => {
        const exited = once(child, "exit");
        child.kill("SIGTERM");
        const force = setTimeout(() => child.kill("SIGKILL"), 15_000);
        await exited.finally(() => clearTimeout(force));
      }),
    );
    await Promise.all([...this.#slots.values()].map((s) => new Promise<void>((resolve) => s.log.end(() => resolve()))));
  }

  #scheduleRestart(slot: Slot, delayMs: number): void {
    if (slot.restartTimer !== undefined) clearTimeout(slot.restartTimer);
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      if (!this.#stopping) this.#start(slot);
    }, delayMs);
  }

  #start(slot: Slot): void {
    // One process per slot, ever: a second would run unsupervised (never killed, maybe leading).
    if (this.#running(slot.child)) return;
    if (slot.nextIdentityFresh) {
      slot.generation += 1;
      slot.identity = `replica-${slot.name}-${slot.generation}`;
      slot.nextIdentityFresh = false;
    }
    const args = [
      CLI,
      "run",
      "--kubeconfig",
      this.#o.kubeconfig,
      "--leader-election-namespace",
      this.#o.leaseNamespace,
      "--identity",
      slot.identity,
      "--metrics-port",
      "0",
      "--metrics-host",
      "127.0.0.1",
      "--log-level",
      "info",
      ...(this.#o.extraArgs ?? []),
    ];
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env } });
    slot.child = child;
    this.#children.add(child);
    this.maxConcurrent = Math.max(this.maxConcurrent, [...this.#children].filter((c) => !this.#killed.has(c)).length);
    const incarnation: Incarnation = { slot: slot.name, identity: slot.identity, startedAt: Date.now(), endedAt: undefined };
    slot.incarnation = incarnation;
    this.incarnations.push(incarnation);
    this.#event(slot, "start");
    slot.log.write(`--- ${new Date().toISOString()} start ${slot.identity} (pid ${child.pid})\n`);
    let buffered = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      slot.log.write(chunk);
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        this.#scan(slot, child, buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
    });
    child.stderr?.on("data", (chunk: Buffer) => slot.log.write(chunk));
    child.once("exit", (code, signal) => {
      this.#children.delete(child);
      incarnation.endedAt ??= Date.now();
      if (this.leaderSlot === slot.name && slot.incarnation === incarnation) this.leaderSlot = undefined;
      slot.log.write(`--- ${new Date().toISOString()} exit ${slot.identity} code ${code} signal ${signal}\n`);
      this.#event(slot, "exit", `code ${code} signal ${signal}`, incarnation.identity);
      // A killed process's exit can be reported after its restart began (a loaded machine): it is
      // no self-exit, and restarting for it again would leave two processes in the slot.
      if (this.#stopping || this.#killed.has(child) || slot.child !== child || slot.restartTimer !== undefined) return;
      // Not ours to stop: the operator exited by itself (it does after losing the lease). Restart it.
      this.selfExits += 1;
      this.#scheduleRestart(slot, this.#o.crashRestartDelayMs ?? 1_000);
    });
  }

  #scan(slot: Slot, child: ChildProcess, line: string): void {
    // Output of a killed process can still be arriving: it says nothing about the slot's current one.
    if (slot.child !== child || this.#killed.has(child)) return;
    if (line.includes("became leader")) {
      this.leaderSlot = slot.name;
      this.#event(slot, "became-leader");
    } else if (line.includes("lost leadership")) {
      if (this.leaderSlot === slot.name) this.leaderSlot = undefined;
      this.#event(slot, "lost-leadership");
    } else if (line.includes('"level":60') || line.includes("uncaught exception")) this.#event(slot, "fatal", line.slice(0, 300));
  }

  #event(slot: Slot, kind: ReplicaEventKind, detail?: string, identity = slot.identity): void {
    this.events.push({ at: Date.now(), slot: slot.name, identity, kind, ...(detail === undefined ? {} : { detail }) });
  }
}
