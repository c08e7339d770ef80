// PEM text ⇄ DER blocks with hard limits: the input often comes from a vendor or a Secret, so
// size, block count and base64 are checked before anything is parsed.

export interface PemBlock {
  readonly label: string;
  readonly der: Buffer;
}

export interface PemLimits {
  readonly maxBytes?: number;
  readonly maxBlocks?: number;
}

export const DEFAULT_PEM_LIMITS = { maxBytes: 1024 * 1024, maxBlocks: 32 } as const;

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n?([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export class PemError extends Error {
  override readonly name = "PemError";
}

/** Vendors sometimes hand back PEM with literal "\n" sequences; turn them into newlines. */
export function unescapeNewlines(text: string): string {
  return text.includes("\\n") ? text.replace(/\\r\\n|\\n/g, "\n") : text;
}

/** Split a PEM bundle into blocks. With `label`, every block must carry it. Messages never quote input. */
export function splitPem(text: string, opts: PemLimits & { readonly label?: string } = {}): PemBlock[] {
  const maxBytes = opts.maxBytes ?? DEFAULT_PEM_LIMITS.maxBytes;
  const maxBlocks = opts.maxBlocks ?? DEFAULT_PEM_LIMITS.maxBlocks;
  if (text.length > maxBytes) throw new PemError(`PEM input exceeds ${maxBytes} bytes`);
  const normalized = unescapeNewlines(text);
  const blocks: PemBlock[] = [];
  for (const m of normalized.matchAll(BLOCK)) {
    const [, begin, body, end] = m;
    if (begin !== end) throw new PemError(`PEM block ${blocks.length + 1}: BEGIN and END labels differ`);
    if (opts.label !== undefined && begin !== opts.label) throw new PemError(`PEM block ${blocks.length + 1}: expected ${opts.label}, found ${begin}`);
    const lines = body!
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l !== "");
    if (lines.some((l) => l.includes(":"))) throw new PemError(`PEM block ${blocks.length + 1}: encapsulated headers are not supported`);
    const b64 = lines.join("");
    if (b64 === "" || b64.length % 4 !== 0 || !BASE64.test(b64)) throw new PemError(`PEM block ${blocks.length + 1}: invalid base64`);
    blocks.push({ label: begin!, der: Buffer.from(b64, "base64") });
    if (blocks.length > maxBlocks) throw new PemError(`PEM input has more than ${maxBlocks} blocks`);
  }
  if (blocks.length === 0) throw new PemError("no PEM blocks found");
  return blocks;
}

export function toPem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString("base64");
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** Join PEM blocks or PEM strings into one bundle, one trailing newline per block. */
export function joinPem(items: ReadonlyArray<PemBlock | string>): string {
  return items.map((i) => (typeof i === "string" ? i.trim() + "\n" : toPem(i.label, i.der))).join("");
}

/** Certificates in a bundle, leaf first as given, normalised to canonical PEM. */
export function splitCertificates(text: string, limits: PemLimits = {}): string[] {
  return splitPem(text, { ...limits, label: "CERTIFICATE" }).map((b) => toPem(b.label, b.der));
}
