// The simulated CA behind SCM: the shared two-level test CA signs the submitted CSR's key with the
// names the order asked for and the order's term as validity.
import { createHash } from "node:crypto";
import { pemToDer } from "../../pki/formats.ts";
import type { TestCa } from "../../pki/test-ca.ts";
import { x509 } from "../../pki/x509.ts";
import type { IssuedMaterial, Issuer } from "./model.ts";

const IP = /^(\d{1,3}\.){3}\d{1,3}$|:/;

export function testCaIssuer(ca: TestCa): Issuer {
  return async (req) => {
    const names = [...new Set([req.commonName, ...req.sans].filter((n) => n !== ""))];
    const sans =
      req.family === "smime" ? { emailAddresses: req.sans } : { dnsNames: names.filter((n) => !IP.test(n)), ipAddresses: names.filter((n) => IP.test(n)) };
    const signed = await ca.signCsr(req.csrPem, {
      usage: req.family === "ssl" ? "server" : req.family === "smime" ? "client" : "device",
      notBefore: req.notBefore,
      notAfter: req.notAfter,
      overrideSubject: { commonName: req.commonName },
      overrideSans: sans,
    });
    return materialOf(signed.leafPem, [signed.chainPem, signed.rootPem]);
  };
}

/** What the simulated CA records of an issued (or imported) certificate. */
export function materialOf(leafPem: string, chainPems: readonly string[]): IssuedMaterial {
  const leaf = new x509.X509Certificate(leafPem);
  const der = pemToDer(leafPem);
  const digest = (alg: string): string => createHash(alg).update(der).digest("hex").toUpperCase();
  return {
    leafPem,
    chainPems,
    serialHex: leaf.serialNumber.toUpperCase(),
    notBefore: leaf.notBefore,
    notAfter: leaf.notAfter,
    subject: leaf.subject,
    issuer: leaf.issuer,
    sha1: digest("sha1"),
    sha256: digest("sha256"),
  };
}
