// Retained sizes in a V8 heap snapshot (benchmarks, not a test): the dominator tree over strong edges,
// then the objects that retain most (each one's retained size is what freeing it would free), and
// retained size summed per constructor of the nodes the root's direct children dominate. Answers
// "what holds the memory" where heap-summary.ts answers "what is the memory".
//
//   node --max-old-space-size=8192 test/bench/heap-retainers.ts FILE.heapsnapshot [--top 30] [--per N]
//
// --per N divides each figure by N as well (bytes per cached object when N resources are held).
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({
  options: { top: { type: "string", default: "30" }, per: { type: "string" } },
  allowPositionals: true,
});
const file = positionals[0];
if (file === undefined) throw new Error("usage: heap-retainers.ts FILE.heapsnapshot [--top 30] [--per N]");

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

const snap = JSON.parse(await readFile(file, "utf8")) as Snapshot;
const meta = snap.snapshot.meta;
const nw = meta.node_fields.length;
const ew = meta.edge_fields.length;
const n = snap.nodes.length / nw;
const [fType, fName, fSize, fEdges] = ["type", "name", "self_size", "edge_count"].map((f) => meta.node_fields.indexOf(f)) as [number, number, number, number];
const [eType, eTo] = ["type", "to_node"].map((f) => meta.edge_fields.indexOf(f)) as [number, number];
const weak = meta.edge_types[0].indexOf("weak");
const shortcut = meta.edge_types[0].indexOf("shortcut");

// Children (strong edges) as CSR.
const firstEdge = new Uint32Array(n + 1);
for (let i = 0, e = 0; i < n; i++) {
  firstEdge[i] = e;
  e += snap.nodes[i * nw + fEdges]!;
  firstEdge[i + 1] = e;
}
const strong = (e: number) => {
  const t = snap.edges[e * ew + eType];
  return t !== weak && t !== shortcut;
};
const target = (e: number) => snap.edges[e * ew + eTo]! / nw;

// Reverse postorder from the root (node 0), iteratively.
const order = new Int32Array(n).fill(-1);
const rpo: number[] = [];
{
  const stack: number[] = [0];
  const next = new Uint32Array(n);
  const seen = new Uint8Array(n);
  seen[0] = 1;
  for (let i = 0; i < n; i++) next[i] = firstEdge[i]!;
  while (stack.length) {
    const v = stack[stack.length - 1]!;
    if (next[v]! < firstEdge[v + 1]!) {
      const e = next[v]!++;
      if (!strong(e)) continue;
      const w = target(e);
      if (!seen[w]) {
        seen[w] = 1;
        stack.push(w);
      }
    } else {
      stack.pop();
      rpo.push(v);
    }
  }
  rpo.reverse();
  rpo.forEach((v, i) => {
    order[v] = i;
  });
}

// Predecessors (strong edges, reachable nodes only) as CSR.
const predCount = new Uint32Array(n + 1);
for (const v of rpo) for (let e = firstEdge[v]!; e < firstEdge[v + 1]!; e++) if (strong(e)) predCount[target(e) + 1]!++;
for (let i = 0; i < n; i++) predCount[i + 1]! += predCount[i]!;
const preds = new Uint32Array(predCount[n]!);
const fill = predCount.slice(0, n);
for (const v of rpo) for (let e = firstEdge[v]!; e < firstEdge[v + 1]!; e++) if (strong(e)) preds[fill[target(e)]!++] = v;

// Cooper, Harvey, Kennedy: "A Simple, Fast Dominance Algorithm".
const idom = new Int32Array(n).fill(-1);
idom[0] = 0;
const intersect = (a: number, b: number) => {
  while (a !== b) {
    while (order[a]! > order[b]!) a = idom[a]!;
    while (order[b]! > order[a]!) b = idom[b]!;
  }
  return a;
};
for (let changed = true; changed; ) {
  changed = false;
  for (let i = 1; i < rpo.length; i++) {
    const v = rpo[i]!;
    let d = -1;
    for (let p = predCount[v]!; p < predCount[v + 1]!; p++) {
      const u = preds[p]!;
      if (idom[u] === -1) continue;
      d = d === -1 ? u : intersect(u, d);
    }
    if (d !== -1 && idom[v] !== d) {
      idom[v] = d;
      changed = true;
    }
  }
}

// Retained sizes: children before parents (reverse of RPO).
const retained = new Float64Array(n);
for (let i = rpo.length - 1; i >= 0; i--) {
  const v = rpo[i]!;
  retained[v]! += snap.nodes[v * nw + fSize]!;
  if (v !== 0) retained[idom[v]!]! += retained[v]!;
}

const typeNames = meta.node_types[0];
const label = (v: number) => {
  const type = typeNames[snap.nodes[v * nw + fType]!] ?? "?";
  const name = (snap.strings[snap.nodes[v * nw + fName]!] ?? "").replace(/\s+/g, " ").slice(0, 70);
  return `${type} ${name}`;
};
const top = Number(values.top);
const per = values.per === undefined ? undefined : Number(values.per);
const fmt = (bytes: number) => `${(bytes / 1048576).toFixed(2).padStart(8)} MiB${per ? ` ${String(Math.round(bytes / per)).padStart(7)} B/each` : ""}`;

console.log(`${n} nodes, ${rpo.length} reachable by strong edges; total retained by the root ${fmt(retained[0]!)}`);
console.log("\nlargest retainers (excluding the synthetic roots):");
const candidates = rpo.filter((v) => v !== 0 && !label(v).startsWith("synthetic")).sort((a, b) => retained[b]! - retained[a]!);
// Show a node only when its dominator is not already shown with nearly the same size (a chain of wrappers).
const shown = new Set<number>();
for (const v of candidates) {
  if (shown.size >= top) break;
  const parent = idom[v]!;
  if (shown.has(parent) && retained[parent]! - retained[v]! < retained[parent]! * 0.1) continue;
  shown.add(v);
  console.log(`  ${fmt(retained[v]!)}  ${label(v)}  (held by ${label(parent)})`);
}

console.log("\nretained size by kind and constructor, over nodes whose dominator is a root or a (synthetic) root group:");
const byKind = new Map<string, { count: number; bytes: number }>();
for (const v of rpo) {
  const d = idom[v]!;
  if (v === 0 || !(d === 0 || label(d).startsWith("synthetic"))) continue;
  const k = label(v).slice(0, 50);
  const entry = byKind.get(k) ?? { count: 0, bytes: 0 };
  entry.count++;
  entry.bytes += retained[v]!;
  byKind.set(k, entry);
}
for (const [k, v] of [...byKind].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, top)) console.log(`  ${fmt(v.bytes)} ${String(v.count).padStart(8)}  ${k}`);
