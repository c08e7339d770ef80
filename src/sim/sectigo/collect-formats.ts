// Collect bodies in every documented format, built from the issued leaf and its chain. Orders (inf,
// from the documented example and public clients): "w/ chain" formats start at the root and end with
// the leaf (the doc's example; sguidia reverses `pem` to get the leaf first), x509R is that reversed,
// pemia is the leaf with its issuers after, x509IO root first, x509IOR intermediates first.
import { certificatesToPkcs7Der, certificatesToPkcs7Pem } from "../../pki/formats.ts";
import type { IssuedMaterial } from "./model.ts";

export const SIM_COLLECT_FORMATS = ["x509", "x509CO", "base64", "bin", "x509IO", "x509IOR", "pem", "pemco", "pemia", "x509R"] as const;
export type SimCollectFormat = (typeof SIM_COLLECT_FORMATS)[number];

export function isCollectFormat(f: string): f is SimCollectFormat {
  return (SIM_COLLECT_FORMATS as readonly string[]).includes(f);
}

export interface CollectBody {
  readonly body: Buffer;
  readonly fileExtension: string;
}

const join = (pems: readonly string[]): string => pems.map((p) => p.trim() + "\n").join("");

export function collectBody(m: IssuedMaterial, format: SimCollectFormat): CollectBody {
  const issuersUp = [...m.chainPems]; // intermediate(s) … root
  const rootDown = [...issuersUp].reverse(); // root … intermediate(s)
  const text = (pems: readonly string[], ext = "crt"): CollectBody => ({ body: Buffer.from(join(pems), "utf8"), fileExtension: ext });
  switch (format) {
    case "x509":
    case "pem":
      return text([...rootDown, m.leafPem], "pem");
    case "x509R":
    case "pemia":
      return text([m.leafPem, ...issuersUp], "pem");
    case "x509CO":
    case "pemco":
      return text([m.leafPem]);
    case "x509IO":
      return text(rootDown);
    case "x509IOR":
      return text(issuersUp);
    case "base64":
      return { body: Buffer.from(certificatesToPkcs7Pem(join([m.leafPem, ...issuersUp])), "utf8"), fileExtension: "p7b" };
    case "bin":
      return { body: certificatesToPkcs7Der(join([m.leafPem, ...issuersUp])), fileExtension: "p7b" };
  }
}
