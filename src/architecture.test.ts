// Guards that keep the architecture as docs/adr and the folder READMEs describe it: no import cycle
// anywhere in src/, and every import goes down the layers, never up or sideways into a vendor.
//
//   api, pki, config      facts: the API types, X.509, the operator's configuration values
//   ports                 what controllers need from vendors, as typed interfaces (→ api)
//   runtime, observability  the reconciler toolkit, the Kubernetes client, logs and metrics
//   controllers           reconcilers (→ ports, runtime, api, …; never a vendor)
//   vendors               clients and adapters implementing the ports (never the Kubernetes client)
//   sim                   vendor simulators (may share a vendor's wire constants; never controllers)
//   main                  operator.ts, cli.ts, commands/: wires everything together
//   harness               test/harness (the local control plane), used by dev mode only
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = import.meta.dirname;

type Layer = "api" | "pki" | "config" | "ports" | "runtime" | "observability" | "controllers" | "vendors" | "sim" | "main" | "harness";

/** What each layer may import besides itself, with the reason the rule exists. */
const allowed: Record<Layer, { may: readonly Layer[]; why: string }> = {
  api: { may: [], why: "the API schemas are the source of truth; they depend on nothing of ours" },
  pki: { may: [], why: "X.509 helpers are pure and shared by vendors, simulators and controllers" },
  config: { may: ["api"], why: "configuration values are parsed facts, read by controllers and main" },
  ports: { may: ["api", "pki"], why: "ports describe vendor capabilities in API terms (api ← ports)" },
  observability: { may: [], why: "logging and metrics sit below the runtime that uses them" },
  runtime: { may: ["observability"], why: "the toolkit knows Kubernetes, not our kinds or vendors" },
  controllers: {
    may: ["api", "config", "ports", "pki", "runtime", "observability"],
    why: "controllers reach vendors only through ports (never import vendors)",
  },
  vendors: { may: ["ports", "api", "pki", "observability"], why: "vendors implement ports and never touch the Kubernetes client (vendors → ports)" },
  sim: { may: ["pki", "observability", "vendors"], why: "simulators stand in for vendors and know nothing of the operator" },
  main: {
    may: ["api", "pki", "config", "ports", "runtime", "observability", "controllers", "vendors", "sim", "harness"],
    why: "main wires everything (controllers ← main); dev mode starts the local control plane",
  },
  harness: { may: [], why: "the test harness is outside src/; only main (dev mode) may use it" },
};

function layerOf(file: string): Layer {
  const [top] = relative(SRC, file).split("/");
  if (top === "..") return "harness";
  if (top === undefined || top.endsWith(".ts") || top === "commands") return "main";
  if (top in allowed) return top as Layer;
  throw new Error(`${relative(SRC, file)}: folder src/${top} has no layer; add it to src/architecture.test.ts`);
}

/** Test code and test support (`testing.ts`, `test-support.ts`) may cross layers to build fixtures. */
function isTestCode(file: string): boolean {
  return /\.test\.ts$|\/testing\.ts$|\/test-support\.ts$|\/test-ca\.ts$/.test(file);
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith(".ts") && !isTestCode(path) ? [path] : [];
  });
}

/** Relative imports of a file (static, re-exports, side effects and dynamic imports with a literal). */
export function importsOf(text: string): string[] {
  const found = new Set<string>();
  const patterns = [/\bfrom\s+["'](\.{1,2}\/[^"']+)["']/g, /\bimport\s+["'](\.{1,2}\/[^"']+)["']/g, /\bimport\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g];
  for (const pattern of patterns) for (const match of text.matchAll(pattern)) found.add(match[1]!);
  return [...found];
}

const files = sources(SRC);
// Targets outside src/ (the test harness) are nodes without edges of their own: layered, never walked.
const graph = new Map<string, string[]>(
  files.map((file) => [
    file,
    importsOf(readFileSync(file, "utf8"))
      .map((spec) => resolve(dirname(file), spec))
      .filter((target) => !isTestCode(target)),
  ]),
);

/** Strongly connected components with more than one file (or a file importing itself): Tarjan. */
function cycles(edges: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node) ?? []) {
      if (!edges.has(next)) continue;
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    for (let member = stack.pop()!; ; member = stack.pop()!) {
      onStack.delete(member);
      component.push(relative(SRC, member));
      if (member === node) break;
    }
    if (component.length > 1 || (edges.get(node) ?? []).includes(node)) found.push(component.sort());
  };
  for (const node of edges.keys()) if (!index.has(node)) visit(node);
  return found;
}

describe("architecture", () => {
  it("reads the imports it guards (multi-line, type-only, re-exports, dynamic)", () => {
    const text =
      'import {\n  a,\n  b,\n} from "./a.ts";\nimport type { C } from "../c.ts";\nexport * from "./d.ts";\nimport "./e.ts";\nconst f = await import("./f.ts");\nimport { g } from "node:fs";';
    expect(importsOf(text).sort()).toEqual(["../c.ts", "./a.ts", "./d.ts", "./e.ts", "./f.ts"]);
  });

  it("finds a cycle when there is one, and none in a chain", () => {
    const chain = new Map([
      [join(SRC, "a.ts"), [join(SRC, "b.ts")]],
      [join(SRC, "b.ts"), []],
    ]);
    expect(cycles(chain)).toEqual([]);
    const loop = new Map([
      [join(SRC, "a.ts"), [join(SRC, "b.ts")]],
      [join(SRC, "b.ts"), [join(SRC, "a.ts")]],
    ]);
    expect(cycles(loop)).toEqual([["a.ts", "b.ts"]]);
  });

  it("has no import cycle in src/", () => {
    expect(cycles(graph)).toEqual([]);
  });

  it("imports only down the layers", () => {
    const violations: string[] = [];
    for (const [file, targets] of graph) {
      const from = layerOf(file);
      for (const target of targets) {
        const to = layerOf(target);
        if (to !== from && !allowed[from].may.includes(to))
          violations.push(`${relative(SRC, file)} → ${relative(SRC, target)}: ${from} may not import ${to} (${allowed[from].why})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it("keeps the Kubernetes client out of vendors and vendors out of controllers", () => {
    const crossings = [...graph].flatMap(([file, targets]) =>
      targets
        .filter(
          (target) => (layerOf(file) === "vendors" && layerOf(target) === "runtime") || (layerOf(file) === "controllers" && layerOf(target) === "vendors"),
        )
        .map((target) => `${relative(SRC, file)} → ${relative(SRC, target)}`),
    );
    expect(crossings).toEqual([]);
  });
});
