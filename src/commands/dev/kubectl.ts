// A kubectl 1.34 for the printed hints on a machine without a compatible one on PATH: the repository's
// test tooling uses PATH's when it is within the control plane's skew, else builds the pinned version
// from the Go module proxy on first use (minutes, once; progress goes to `log`) and caches it.
import { ensureKubectl } from "../../../test/harness/tools.ts";

/** The path of a compatible kubectl, or why none is available. */
export async function repoKubectl(log?: (line: string) => void): Promise<{ path: string } | { unavailable: string }> {
  try {
    return { path: await ensureKubectl(log === undefined ? {} : { log }) };
  } catch (error) {
    return { unavailable: `could not build kubectl: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}` };
  }
}
