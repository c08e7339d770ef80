// Kill-and-restart for the crash-safety tests: a real operator process runs with
// `--debug-crash-at <controller>:<step>` until it SIGKILLs itself there (or finishes without ever
// reaching that step), then a fresh process runs until the work is done. What each test counts
// afterwards (vendor orders, ZPA keys) is its own; this is only the kill loop they share.
import { inject } from "vitest";
import { eventually } from "./kube.ts";
import { startOperatorProcess } from "./operator-process.ts";

export interface CrashRun {
  /** The `--debug-crash-at` value, for example "managedcertificate:submitted". */
  readonly crashAt: string;
  /**
   * The only namespace both processes watch: resources other files left on the shared API server
   * (their simulators gone) would otherwise queue ahead of the one under test.
   */
  readonly namespace: string;
  /** True once the resource under test is finished (Ready, Secret written, order released, …). */
  readonly done: () => Promise<boolean>;
  /** Extra `certbridge run` flags for both processes (for example a log level). */
  readonly extraArgs?: readonly string[];
}

export interface CrashOutcome {
  /** The first process died by its own SIGKILL at the step; false when it finished without reaching it. */
  readonly killed: boolean;
}

/** How long each process may take: to reach the step (or finish), and to recover afterwards. */
const PHASE_TIMEOUT_MS = 60_000;

export async function killAtStepThenRecover({ crashAt, namespace, done, extraArgs = [] }: CrashRun): Promise<CrashOutcome> {
  // A process killed right after recording an order's intent may have sent it: the restart looks it up
  // until the settle deadline before ordering again (ADR 0005); seconds here instead of the vendors' minutes.
  const args = [
    "--kubeconfig",
    inject("kubeconfigPath"),
    "--leader-elect",
    "false",
    "--debug-order-settle-ms",
    "3000",
    "--namespaces",
    namespace,
    ...extraArgs,
  ];
  const doomed = startOperatorProcess([...args, "--debug-crash-at", crashAt]);
  let finishedFirst = false;
  try {
    await Promise.race([
      doomed.exited(),
      eventually(`${crashAt} reached or work done`, done, PHASE_TIMEOUT_MS).then(() => {
        finishedFirst = true;
      }),
    ]);
  } finally {
    // Work done without reaching the step, or the wait timed out: never leave the process running.
    if (doomed.child.exitCode === null && doomed.child.signalCode === null) {
      doomed.child.kill("SIGKILL");
      await doomed.exited();
    }
  }
  const killed = doomed.child.signalCode === "SIGKILL" && !finishedFirst;
  const fresh = startOperatorProcess(args);
  try {
    await eventually(`recovery after ${crashAt}`, done, PHASE_TIMEOUT_MS);
  } finally {
    fresh.child.kill("SIGTERM");
    await fresh.exited();
  }
  return { killed };
}
