// The TLS report as text: who wrote the Secret, each certificate, the chain, the private key's facts
// (never the key), the other data keys by size, and what is wrong.
import { MANAGED_LABEL_VALUE, annotations, labels } from "../../../api/v1alpha1/labels.ts";
import { type Style, wrapText } from "../style.ts";
import { instant } from "../time.ts";
import type { CertificateSummary, TlsReport } from "./tls-report.ts";

export interface SecretHeader {
  readonly namespace: string;
  readonly name: string;
  readonly type?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** sha256 of the data as the operator computes it. */
  readonly computedHash: string;
}

const LABEL = 14;

export function renderInspection(h: SecretHeader, r: TlsReport, o: { style: Style; now: Date; width: number | undefined }): string {
  const s = o.style;
  const out: string[] = [];
  const indent = " ".repeat(LABEL + 2);
  const field = (label: string, value: string) => out.push(`  ${s.bold(label.padEnd(LABEL))}${wrapText(value, o.width, indent)}`);
  out.push(s.bold(`Secret ${h.namespace}/${h.name}`) + (h.type ? ` (${h.type})` : ""));
  const l = h.labels;
  const a = h.annotations;
  if (l[labels.managed] === MANAGED_LABEL_VALUE) {
    const extra = [a[annotations.revision] && `revision ${a[annotations.revision]}`, a[annotations.vendorRef] && `vendor ref ${a[annotations.vendorRef]}`];
    field("written by", [`certbridge for ${l[labels.ownerKind] ?? "?"} ${l[labels.ownerName] ?? "?"}`, ...extra].filter(Boolean).join(", "));
  } else field("written by", "not certbridge (no owner labels)");
  const hash = a[annotations.contentHash];
  if (hash) field("content hash", `${hash.slice(0, 12)}… (${hash === h.computedHash ? "matches the data" : s.red("does not match the data")})`);
  out.push("");

  r.certificates.forEach((c, i) => {
    const role = i === 0 ? "leaf" : c.selfSigned ? "root" : "intermediate";
    out.push(s.bold(`tls.crt ${i + 1} of ${r.certificates.length}: ${role}${c.isCa ? " (CA)" : ""}`));
    certificateLines(c, field, o.now, s);
  });
  r.ca.forEach((c, i) => {
    out.push(s.bold(`ca.crt ${i + 1} of ${r.ca.length}${c.selfSigned ? ": root" : ""}`));
    certificateLines(c, field, o.now, s);
  });
  if (r.certificates.length > 0 || r.ca.length > 0) out.push("");

  const path = (r.chain.path ?? []).map((p) => p.replace(/\n/g, ", ")).join(" → ");
  if (r.chain.result === "verified")
    field("chain", `${s.green("verified")}: ${path} (${r.chain.against === "ca.crt" ? "root from ca.crt" : "root at the end of tls.crt"})`);
  else if (r.chain.result === "linked") field("chain", `${s.yellow("linked")}: ${path}; ${r.chain.problem}`);
  else if (r.certificates.length > 0) field("chain", s.red(`does not verify: ${r.chain.problem ?? "?"}`));
  const k = r.privateKey;
  if (k === undefined) field("private key", s.dim("none in this Secret"));
  else if (k.problem) field("private key", s.red(k.problem));
  else {
    const match =
      k.matchesLeaf === undefined ? "" : k.matchesLeaf ? `, ${s.green("matches the leaf certificate")}` : `, ${s.red("does NOT match the leaf certificate")}`;
    field("private key", `${k.type}${k.encoding ? ` (${k.encoding})` : ""}${match}; the key itself is never shown`);
  }
  if (r.otherData.length > 0) field("other data", `${r.otherData.map((d) => `${d.key} (${size(d.bytes)})`).join(", ")}; not shown`);
  field("problems", r.problems.length === 0 ? s.green("none") : s.red(r.problems.join("; ")));
  return `${out.join("\n")}\n`;
}

function certificateLines(c: CertificateSummary, field: (label: string, value: string) => void, now: Date, s: Style): void {
  const sans = [
    ...c.sans.dns.map((d) => `DNS:${d}`),
    ...c.sans.ip.map((d) => `IP:${d}`),
    ...c.sans.email.map((d) => `email:${d}`),
    ...c.sans.uri.map((d) => `URI:${d}`),
  ];
  field("subject", c.subject || "(empty)");
  if (sans.length > 0) field("SANs", sans.join(", "));
  field("issuer", c.selfSigned ? `${c.issuer} (self-signed)` : c.issuer);
  const expired = Date.parse(c.notAfter) < now.getTime();
  field("valid", `${instant(c.notBefore, now)} → ${expired ? s.red(instant(c.notAfter, now)) : instant(c.notAfter, now)}`);
  field("serial", c.serialNumber);
  field("public key", `${c.publicKey}; signed with ${c.signatureAlgorithm}`);
  field("SHA-256", c.sha256);
  field("SHA-1", c.sha1);
  field("SPKI SHA-256", c.spkiSha256);
}

const size = (bytes: number): string => (bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`);
