// What `certbridge dev` started, undone in reverse order. Each step is pushed right after the thing
// it undoes exists, so a failure or a Ctrl-C at any point cleans up exactly what is running.

export interface Teardown {
  push(name: string, undo: () => Promise<void>): void;
  /** Runs every step, last pushed first; a failing step is reported and the rest still run. */
  run(report: (line: string) => void): Promise<boolean>;
}

export function createTeardown(): Teardown {
  const steps: Array<{ name: string; undo: () => Promise<void> }> = [];
  return {
    push: (name, undo) => void steps.push({ name, undo }),
    run: async (report) => {
      let clean = true;
      for (let step = steps.pop(); step !== undefined; step = steps.pop()) {
        try {
          await step.undo();
          report(`stopped ${step.name}`);
        } catch (error) {
          clean = false;
          report(`could not stop ${step.name}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      return clean;
    },
  };
}
