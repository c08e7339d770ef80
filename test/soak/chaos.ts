// The chaos loop: independent Poisson processes for replica kills, API server restarts, simulator
// fault windows and workload actions, each drawing from its own seeded stream. Everything that
// happens is appended to a timeline for the report.
import { setTimeout as sleep } from "node:timers/promises";
import type { ControlPlane } from "../harness/control-plane.ts";
import { pickFault } from "./fault-catalog.ts";
import type { SoakOptions, SoakVendor } from "./options.ts";
import { Random } from "./random.ts";
import type { ReplicaSet } from "./replicas.ts";
import type { SimulatorProcess } from "./simulators.ts";
import type { Workload } from "./workload.ts";

export interface TimelineEntry {
  readonly at: number;
  readonly what: string;
}

export interface ApiOutage {
  readonly from: number;
  to: number | undefined;
}

export interface ChaosCounters {
  kills: number;
  leaderKills: number;
  skippedKills: number;
  freshIdentityRestarts: number;
  apiRestarts: number;
  faultWindows: number;
  readonly faultsByName: Record<string, number>;
  /** Kills that happened while the vendor had resources (live or deleting). */
  readonly killsWithVendorWork: Record<SoakVendor, number>;
  /** Kills that happened while one of the vendor's resources had work in flight (not Ready, pending, deleting). */
  readonly killsWithVendorBusy: Record<SoakVendor, number>;
  workloadErrors: number;
}

export interface ChaosDeps {
  readonly options: SoakOptions;
  readonly plane: ControlPlane;
  readonly replicas: ReplicaSet;
  readonly sims: SimulatorProcess;
  readonly workload: Workload;
  readonly log: (line: string) => void;
}

export class Chaos {
  readonly timeline: TimelineEntry[] = [];
  readonly outages: ApiOutage[] = [];
  readonly counters: ChaosCounters = {
    kills: 0,
    leaderKills: 0,
    skippedKills: 0,
    freshIdentityRestarts: 0,
    apiRestarts: 0,
    faultWindows: 0,
    faultsByName: {},
    killsWithVendorWork: { cloudflare: 0, sectigo: 0, zpa: 0 },
    killsWithVendorBusy: { cloudflare: 0, sectigo: 0, zpa: 0 },
    workloadErrors: 0,
  };
  readonly #d: ChaosDeps;
  readonly #activeFault = new Map<SoakVendor, string>();
  #apiDown = false;

  constructor(deps: ChaosDeps) {
    this.#d = deps;
  }

  get apiDown(): boolean {
    return this.#apiDown;
  }

  note(what: string): void {
    this.timeline.push({ at: Date.now(), what });
  }

  /** Runs every loop until `until`, then waits for in-progress steps (a restart, a fault window) to finish. */
  async run(until: number): Promise<void> {
    const o = this.#d.options;
    await Promise.all([
      this.#loop("kills", o.killsPerMinute, until, () => this.#kill(until)),
      this.#loop("api", o.apiRestartsPerMinute, until, () => this.#restartApi()),
      this.#loop("faults", o.faultsPerMinute, until, () => this.#faultWindow(until)),
      this.#loop("workload", o.actionsPerMinute, until, async () => {
        try {
          await this.#d.workload.step();
        } catch (error) {
          this.counters.workloadErrors += 1;
          this.#d.log(`workload step failed: ${String(error).slice(0, 200)}`);
        }
      }),
    ]);
  }

  /** Faults off everywhere (the end of the chaos). */
  async clearFaults(): Promise<void> {
    for (const vendor of this.#d.options.vendors) {
      await this.#d.sims.call(vendor, "DELETE", "/__sim/faults").catch(() => undefined);
      if (vendor === "zpa") await this.#d.sims.call("zpa", "DELETE", "/__sim/zpa/faults").catch(() => undefined);
    }
    this.#activeFault.clear();
    this.note("all simulator faults off");
  }

  async #loop(stream: string, perMinute: number, until: number, step: () => Promise<void>): Promise<void> {
    const rnd = new Random(this.#d.options.seed, `timing:${stream}`);
    for (;;) {
      const at = Date.now() + rnd.nextGapMs(perMinute);
      if (at >= until) return;
      await sleep(at - Date.now());
      await step();
    }
  }

  #killRnd: Random | undefined;

  /**
   * Mostly the leader (killing the standby only delays a failover), mostly restarted in place under
   * the same identity (a container restart: it takes its Lease back at once), sometimes as a new
   * identity (a replacement pod: the standby must wait out the Lease first).
   */
  async #kill(until: number): Promise<void> {
    const rnd = (this.#killRnd ??= new Random(this.#d.options.seed, "kills"));
    // Drawn whatever happens, so the sequence of choices does not depend on timing.
    const preferLeader = rnd.chance(0.8);
    const pickIndex = rnd.float();
    const restartAfterMs = Math.round(rnd.between(200, 1_500));
    const fresh = rnd.chance(0.1);
    const afterElectionMs = Math.round(rnd.between(0, 2_500));
    // A kill aimed at the leader while nobody leads waits for the next leader and strikes within its
    // first seconds (caches syncing, the backlog of reconciles): killing candidates that are still
    // waiting out the Lease only restarts their wait and starves the election.
    if (preferLeader && this.#d.replicas.leaderSlot === undefined) {
      const deadline = Math.min(Date.now() + 60_000, until);
      while (this.#d.replicas.leaderSlot === undefined && Date.now() < deadline) await sleep(100);
      if (this.#d.replicas.leaderSlot !== undefined) await sleep(Math.max(0, Math.min(afterElectionMs, until - Date.now())));
    }
    const alive = this.#d.replicas.aliveSlots();
    if (alive.length === 0) {
      this.counters.skippedKills += 1;
      return;
    }
    const leaderSlot = this.#d.replicas.leaderSlot;
    const victim = preferLeader && leaderSlot !== undefined && alive.includes(leaderSlot) ? leaderSlot : alive[Math.floor(pickIndex * alive.length)]!;
    const wasLeader = victim === leaderSlot;
    const identity = this.#d.replicas.identityOf(victim);
    if (!(await this.#d.replicas.kill(victim, restartAfterMs, fresh))) {
      this.counters.skippedKills += 1;
      return;
    }
    this.counters.kills += 1;
    if (wasLeader) this.counters.leaderKills += 1;
    if (fresh) this.counters.freshIdentityRestarts += 1;
    for (const v of this.#d.options.vendors) {
      if (this.#d.workload.resources.some((r) => r.vendor === v && r.phase !== "gone")) this.counters.killsWithVendorWork[v] += 1;
      if (this.#d.workload.busy(v)) this.counters.killsWithVendorBusy[v] += 1;
    }
    this.note(`SIGKILL ${identity}${wasLeader ? " (leader)" : ""}; restart in ${restartAfterMs} ms${fresh ? " as a new identity" : ""}`);
  }

  #apiRnd: Random | undefined;

  async #restartApi(): Promise<void> {
    const rnd = (this.#apiRnd ??= new Random(this.#d.options.seed, "api"));
    const downMs = Math.round(rnd.between(2_000, 15_000));
    const outage: ApiOutage = { from: Date.now(), to: undefined };
    this.outages.push(outage);
    this.#apiDown = true;
    this.note(`API server stopping (down for ~${downMs} ms)`);
    try {
      await this.#d.plane.stopApiServer();
      await sleep(downMs);
      await this.#d.plane.startApiServer();
    } finally {
      outage.to = Date.now();
      this.#apiDown = false;
    }
    this.counters.apiRestarts += 1;
    this.note(`API server ready again after ${outage.to - outage.from} ms`);
  }

  #faultRnd: Random | undefined;

  async #faultWindow(until: number): Promise<void> {
    const rnd = (this.#faultRnd ??= new Random(this.#d.options.seed, "faults"));
    const vendor = rnd.pick(this.#d.options.vendors);
    const fault = pickFault(vendor, rnd);
    const windowMs = Math.round(rnd.between(5_000, 30_000));
    if (this.#activeFault.has(vendor)) return; // one window per vendor at a time (the admin API clears all at once)
    this.#activeFault.set(vendor, fault.name);
    this.counters.faultWindows += 1;
    this.counters.faultsByName[fault.name] = (this.counters.faultsByName[fault.name] ?? 0) + 1;
    const path = fault.generic !== undefined ? "/__sim/faults" : fault.vendorCall!.path;
    const body = fault.generic ?? fault.vendorCall!.body;
    try {
      await this.#d.sims.call(vendor, "POST", path, body);
    } catch (error) {
      this.#d.log(`could not set fault ${fault.name} on ${vendor}: ${String(error).slice(0, 200)}`);
      this.#activeFault.delete(vendor);
      return;
    }
    this.note(`${vendor}: ${fault.name} on for ${windowMs} ms ${JSON.stringify(body)}`);
    // The window closes on its own time; the loop goes on drawing the next event meanwhile.
    void sleep(Math.min(windowMs, Math.max(0, until - Date.now()))).then(async () => {
      await this.#d.sims.call(vendor, "DELETE", "/__sim/faults").catch(() => undefined);
      this.#activeFault.delete(vendor);
      this.note(`${vendor}: ${fault.name} off`);
    });
  }
}
