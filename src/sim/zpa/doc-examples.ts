// Reads the example requests and responses out of the three ZPA documents at test time, so the
// documents themselves are the fixture. Each example is paired with the last "For example:" URL that
// precedes it and with its role (response, payload template, sample payload).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const ZPA_DOCS = {
  provisioningKeys: "zpa-provisioning-keys.txt",
  enrollmentCertificates: "zpa-enrollment-certificates.txt",
  certificates: "zpa-certificates.txt",
} as const;
export type ZpaDoc = keyof typeof ZPA_DOCS;

export type DocExample = {
  readonly doc: ZpaDoc;
  /** 0-based position among the examples of the document. */
  readonly index: number;
  /** The example URL given before it ("For example: …"), as written (doc typos included). */
  readonly exampleUrl: string | undefined;
  /** The line that introduced it ("View an example response", "View the sample JSON payload", …). */
  readonly label: string;
  readonly role: "response" | "payload" | "template";
  readonly json: unknown;
};

export function docsDir(): string {
  return fileURLToPath(new URL("../../../../shared/vendor-docs/", import.meta.url));
}

export function readDoc(doc: ZpaDoc): string {
  return readFileSync(docsDir() + ZPA_DOCS[doc], "utf8");
}

/** The balanced-brace object starting at `start`, tracking strings so braces inside values don't count. */
function balanced(text: string, start: number): string | undefined {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === "{") depth++;
    else if (ch === "}") {
      depth--;
      if (depth === 0) return text.slice(start, i + 1);
    }
  }
  return undefined;
}

/** The docs print PEM inside JSON strings with raw line breaks (the certBlob sample); JSON needs \n. */
function escapeRawNewlinesInStrings(src: string): string {
  let out = "";
  let inString = false;
  for (let i = 0; i < src.length; i++) {
    const ch = src[i]!;
    if (inString) {
      if (ch === "\\") {
        out += ch + (src[i + 1] ?? "");
        i++;
        continue;
      }
      if (ch === '"') inString = false;
      out += ch === "\n" ? "\\n" : ch;
      continue;
    }
    if (ch === '"') inString = true;
    out += ch;
  }
  return out;
}

const URL_LINE = /For example:\s*`?(\/mgmtconfig\/[^`\s]+?)\.?`?\.?\s*$/;

export function extractExamples(doc: ZpaDoc): DocExample[] {
  const text = readDoc(doc).split("\n## Contents")[0]!;
  const lines = text.split("\n");
  const offsets: number[] = [];
  let acc = 0;
  for (const l of lines) {
    offsets.push(acc);
    acc += l.length + 1;
  }
  const out: DocExample[] = [];
  let exampleUrl: string | undefined;
  let label = "";
  for (let li = 0; li < lines.length; li++) {
    const line = lines[li]!;
    const url = URL_LINE.exec(line);
    if (url !== null) exampleUrl = url[1];
    if (/View (an|the)/i.test(line))
      label = line
        .replace(/^[-\s[\]]*/, "")
        .replace(/\]\(.*$/, "")
        .trim();
    const braceAt = line.search(/^\s*(\[\]|`)?\{/) === 0 ? line.indexOf("{") : -1;
    if (braceAt < 0) continue;
    const raw = balanced(text, offsets[li]! + braceAt);
    if (raw === undefined) continue;
    let json: unknown;
    try {
      json = JSON.parse(escapeRawNewlinesInStrings(raw));
    } catch {
      continue;
    }
    const role: DocExample["role"] = /payload/i.test(label) ? (/sample/i.test(label) ? "payload" : "template") : "response";
    out.push({ doc, index: out.length, exampleUrl, label, role, json });
    li += raw.split("\n").length - 1;
  }
  return out;
}

/** The certBlob sample in zpa-certificates.txt as printed, and with its mangled PEM armor repaired (a doc artifact). */
export function docCertBlobSample(): { mangled: string; repaired: string } {
  const sample = extractExamples("certificates").find((e) => e.role === "payload" && typeof (e.json as { certBlob?: unknown }).certBlob === "string");
  if (sample === undefined) throw new Error("zpa-certificates.txt: certBlob sample not found");
  const mangled = (sample.json as { certBlob: string }).certBlob;
  return { mangled, repaired: mangled.replace(/-+(BEGIN|END) ([A-Z ]+?)-+/g, "-----$1 $2-----") };
}
