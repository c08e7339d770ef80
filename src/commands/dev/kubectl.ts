// The kubectl the repository's test tooling provides, when that tooling is present
// (test/harness/tools.ts `ensureKubectl()`); otherwise whatever `kubectl` is on PATH.

// Kept in a variable: the module may not exist yet, and that must not break type checks.
const TOOLS_MODULE = "../../../test/harness/tools.ts";

/** The path of the repo-provided kubectl, or undefined when the tooling is absent or fails. */
export async function repoKubectl(): Promise<{ path: string } | { unavailable: string }> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(new URL(TOOLS_MODULE, import.meta.url).href)) as Record<string, unknown>;
  } catch {
    return { unavailable: "test/harness/tools.ts is not present" };
  }
  const ensure = mod["ensureKubectl"];
  if (typeof ensure !== "function") return { unavailable: "test/harness/tools.ts has no ensureKubectl()" };
  try {
    const result: unknown = await (ensure as () => Promise<unknown>)();
    const path = typeof result === "string" ? result : ((result as { path?: unknown; kubectl?: unknown } | null)?.path ?? (result as { kubectl?: unknown } | null)?.kubectl);
    return typeof path === "string" && path !== "" ? { path } : { unavailable: "ensureKubectl() returned no path" };
  } catch (error) {
    return { unavailable: `ensureKubectl() failed: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}` };
  }
}
