/**
 * Fault injection for crash-safety tests: `--debug-crash-at managedcertificate:submitted` kills the
 * operator process with SIGKILL (no cleanup, no graceful anything) the first time that step of that
 * controller is reached. Unset in production; the hook is then absent altogether.
 */
export function crashHook(crashAt: string | undefined, controller: string): ((step: string) => void) | undefined {
  if (crashAt === undefined) return undefined;
  const [name, target] = crashAt.split(":");
  if (name !== controller || !target) return undefined;
  return (step) => {
    if (step === target) process.kill(process.pid, "SIGKILL");
  };
}
