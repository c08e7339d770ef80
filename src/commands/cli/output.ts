// `-o json|yaml`: the same data the text screens show, for scripts.
import { dump } from "js-yaml";

export type DataFormat = "json" | "yaml";

export function renderData(format: DataFormat, data: unknown): string {
  return format === "json" ? `${JSON.stringify(data, null, 2)}\n` : dump(data, { noRefs: true, lineWidth: -1 });
}
