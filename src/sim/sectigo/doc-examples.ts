// Reads the request/response examples out of the SCM REST API reference (sectigo-scm-rest-api.txt).
// Each example is a curl command ("Example request") and a raw HTTP response ("Example response");
// the title is the operation heading that precedes it. The extracted set is committed as
// fixtures/doc-examples.json (regenerate with `node src/sim/sectigo/doc-examples.ts <txt> <json>`).
import { readFileSync, writeFileSync } from "node:fs";

export interface DocExample {
  /** The operation heading in the reference, e.g. "Enroll SSL certificate". */
  readonly title: string;
  /** 1-based line of "Example request" in the .txt. */
  readonly line: number;
  readonly request: {
    readonly method: string;
    /** Path and query as the doc writes them (after the host). */
    readonly url: string;
    readonly headers: Record<string, string>;
    /** The -d payload, verbatim. */
    readonly body?: string;
  };
  readonly response: {
    readonly status: number;
    readonly headers: Record<string, string>;
    /** Verbatim body text (JSON or PEM), absent when none. */
    readonly body?: string;
  };
}

const HEADING_SKIP = /^(\||Path parameters|Query parameters|Request fields|Response fields|Response headers|Example request|Example response)/;

/** Operation headings look like "Collect SSL certificate": a short line, no table bar, no period at the end. */
function isHeading(line: string): boolean {
  const t = line.trim();
  return t.length > 0 && t.length < 90 && !HEADING_SKIP.test(t) && !t.endsWith(".") && !t.endsWith("|") && /^[A-Z]/.test(t) && !t.includes(":");
}

export function extractDocExamples(text: string): DocExample[] {
  const lines = text.split(/\r?\n/);
  const out: DocExample[] = [];
  let lastEnd = 0; // first line after the previous example's response
  let pendingRequest: { line: number; request: DocExample["request"] } | undefined;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] === "Example request") {
      const parsed = parseCurl(lines, i + 1);
      if (parsed !== undefined) pendingRequest = { line: i + 1, request: parsed.request };
      continue;
    }
    if (lines[i] === "Example response" && pendingRequest !== undefined) {
      const parsed = parseResponse(lines, i + 1);
      if (parsed === undefined) continue;
      const title = titleBefore(lines, lastEnd, pendingRequest.line - 1);
      out.push({ title, line: pendingRequest.line, request: pendingRequest.request, response: parsed.response });
      lastEnd = parsed.end;
      i = parsed.end - 1;
      pendingRequest = undefined;
    }
  }
  return out;
}

// The operation heading: scanning up from the request, the nearest heading-like line that is
// followed by a description sentence or by a parameter table.
const AFTER_HEADING = /^(Path parameters|Query parameters|Request fields|\|)|\.\s*$/;

function titleBefore(lines: readonly string[], from: number, to: number): string {
  for (let j = to - 1; j >= from; j--) {
    const l = lines[j]!;
    if (isHeading(l) && AFTER_HEADING.test((lines[j + 1] ?? "").trim())) return l.trim();
  }
  return "";
}

function parseCurl(lines: readonly string[], start: number): { request: DocExample["request"]; end: number } | undefined {
  const first = /^\$ curl '([^']+)' -i -X ([A-Z]+)/.exec(lines[start] ?? "");
  if (first === null) return undefined;
  const url = new URL(first[1]!);
  const headers: Record<string, string> = {};
  let body: string | undefined;
  let i = start + 1;
  for (; i < lines.length; i++) {
    const l = lines[i]!;
    const h = /^-H '([^:]+): ?(.*)'( \\)?$/.exec(l);
    if (h !== null) {
      headers[h[1]!] = h[2]!;
      continue;
    }
    if (l.startsWith("-d '")) {
      const parts = [l.slice(4)];
      while (!parts[parts.length - 1]!.endsWith("'") && i + 1 < lines.length) parts.push(lines[++i]!);
      const joined = parts.join("\n");
      body = joined.slice(0, -1);
      i++;
    }
    break;
  }
  return { request: { method: first[2]!, url: url.pathname + url.search, headers, ...(body === undefined ? {} : { body }) }, end: i };
}

function parseResponse(lines: readonly string[], start: number): { response: DocExample["response"]; end: number } | undefined {
  const status = /^HTTP\/1\.1 (\d{3})/.exec(lines[start] ?? "");
  if (status === null) return undefined;
  const headers: Record<string, string> = {};
  let i = start + 1;
  for (; i < lines.length; i++) {
    const h = /^([A-Za-z-]+): (.*)$/.exec(lines[i]!);
    if (h === null) break;
    headers[h[1]!] = h[2]!;
  }
  const first = lines[i] ?? "";
  if (first.startsWith("{") || first.startsWith("[")) {
    // JSON: grow line by line until it parses.
    for (let j = i; j < lines.length && j < i + 400; j++) {
      const candidate = lines.slice(i, j + 1).join("\n");
      try {
        JSON.parse(candidate);
        return { response: { status: Number(status[1]), headers, body: candidate }, end: j + 1 };
      } catch {
        // keep growing
      }
    }
    return { response: { status: Number(status[1]), headers }, end: i };
  }
  if (first.startsWith("-----BEGIN ")) {
    let j = i;
    while (j < lines.length && (/^-----(BEGIN|END) /.test(lines[j]!) || /^[A-Za-z0-9+/=]+$/.test(lines[j]!))) j++;
    return { response: { status: Number(status[1]), headers, body: lines.slice(i, j).join("\n") }, end: j };
  }
  return { response: { status: Number(status[1]), headers }, end: i };
}

/** The sections this simulator covers: SSL (v1, and the v2 import), client, device certificates and organizations v1. */
export const COVERED_SECTIONS = /^\/api\/(ssl\/v[12]|smime\/v[12]|device\/v1|organization\/v1)(\/|\?|$)/;

export function coveredExamples(text: string): DocExample[] {
  return extractDocExamples(text).filter((e) => COVERED_SECTIONS.test(e.request.url));
}

// CLI: regenerate the committed fixture.
if (import.meta.main === true) {
  const [src, dest] = process.argv.slice(2);
  if (src === undefined || dest === undefined) {
    process.stderr.write("usage: doc-examples.ts <sectigo-scm-rest-api.txt> <out.json>\n");
    process.exit(2);
  }
  const examples = coveredExamples(readFileSync(src, "utf8"));
  writeFileSync(dest, JSON.stringify(examples, null, 1) + "\n");
  process.stdout.write(`${examples.length} examples\n`);
}
