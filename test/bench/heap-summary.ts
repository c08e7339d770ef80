// Summarises a V8 heap snapshot (benchmarks, not a test): self size by kind and constructor, and the
// largest strings by their first characters, to see what the informer caches and the burst retain.
//
//   node test/bench/heap-summary.ts FILE.heapsnapshot [--top 25]
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({ options: { top: { type: "string", default: "25" } }, allowPositionals: true });
const file = positionals[0];
if (file === undefined) throw new Error("usage: heap-summary.ts FILE.heapsnapshot");

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

const snap = JSON.parse(await readFile(file, "utf8")) as Snapshot;
const fields = snap.snapshot.meta.node_fields;
const width = fields.length;
const typeNames = snap.snapshot.meta.node_types[0];
const [fType, fName, fSize] = ["type", "name", "self_size"].map((f) => fields.indexOf(f)) as [number, number, number];

const byKind = new Map<string, { count: number; bytes: number }>();
const stringPrefixes = new Map<string, { count: number; bytes: number }>();
let total = 0;
for (let i = 0; i < snap.nodes.length; i += width) {
  const type = typeNames[snap.nodes[i + fType]!] ?? "?";
  const name = snap.strings[snap.nodes[i + fName]!] ?? "";
  const size = snap.nodes[i + fSize]!;
  total += size;
  const kind = type === "object" || type === "closure" || type === "native" ? `${type} ${name.slice(0, 60)}` : type;
  const k = byKind.get(kind) ?? { count: 0, bytes: 0 };
  k.count++;
  k.bytes += size;
  byKind.set(kind, k);
  if (type === "string" || type === "concatenated string" || type === "sliced string") {
    const prefix = name.slice(0, 24).replace(/\s+/g, " ");
    const p = stringPrefixes.get(prefix) ?? { count: 0, bytes: 0 };
    p.count++;
    p.bytes += size;
    stringPrefixes.set(prefix, p);
  }
}
const top = Number(values.top);
const mib = (b: number) => (b / 1048576).toFixed(2);
console.log(`total self size ${mib(total)} MiB in ${snap.nodes.length / width} nodes`);
console.log("\nby kind and constructor (self size):");
for (const [k, v] of [...byKind].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, top))
  console.log(`  ${mib(v.bytes).padStart(8)} MiB ${String(v.count).padStart(9)}  ${k}`);
console.log("\nstrings by their first 24 characters:");
for (const [k, v] of [...stringPrefixes].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, top))
  console.log(`  ${mib(v.bytes).padStart(8)} MiB ${String(v.count).padStart(9)}  ${JSON.stringify(k)}`);
