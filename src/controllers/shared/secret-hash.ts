import { createHash } from "node:crypto";

/** sha256 over the sorted data keys and values: what workload reloaders watch, and how we skip no-op writes. */
export function contentHash(data: Readonly<Record<string, string>>): string {
  const h = createHash("sha256");
  for (const key of Object.keys(data).sort()) h.update(`${key}\0${data[key]}\0`);
  return h.digest("hex");
}
