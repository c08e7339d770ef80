import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Reason } from "../../api/v1alpha1/conditions.ts";
import { firstClause, nextStepFor, onlyWaits, plainText, rowFor, troubleshooting } from "./next-steps.ts";

const README = readFileSync(join(import.meta.dirname, "..", "..", "..", "README.md"), "utf8");

/** The README's "Troubleshooting by condition reason" table: reasons, on, what to do, per row. */
function readmeRows(): Array<{ reasons: string[]; on: string; todo: string }> {
  const header = "| reason | on | means | what to do |";
  const start = README.indexOf(header);
  expect(start).toBeGreaterThan(0);
  const lines = README.slice(start).split("\n\n")[0]!.split("\n").slice(2);
  return lines.map((line) => {
    const cells = line
      .split(/(?<!\\)\|/)
      .slice(1, -1)
      .map((c) => c.trim());
    return { reasons: [...cells[0]!.matchAll(/`([A-Za-z]+)`/g)].map((m) => m[1]!), on: cells[1]!, todo: cells[3]! };
  });
}

describe("next steps", () => {
  it("are the README's troubleshooting table, row for row (a wording change is made in both)", () => {
    expect(troubleshooting.map(({ reasons, on, todo }) => ({ reasons, on, todo }))).toEqual(readmeRows());
  });

  it("name only real condition reasons, and every kind a row's `on` names is among its kinds", () => {
    const known = new Set<string>(Object.values(Reason));
    expect(troubleshooting.flatMap((r) => r.reasons).filter((r) => !known.has(r))).toEqual([]);
    for (const row of troubleshooting)
      for (const kind of ["ManagedCertificate", "ProvisioningKey", "VendorConnection", "ClusterVendorConnection"] as const)
        if (new RegExp(`\\b${kind}\\b`).test(row.on)) expect(row.kinds, `${row.reasons.join("/")} on ${row.on}`).toContain(kind);
  });

  const cases = [
    { reason: "Deleting", kind: "VendorConnection", starts: "wait, or delete those resources", why: "a connection waits for its users" },
    { reason: "Deleting", kind: "ManagedCertificate", starts: "restore the connection", why: "a certificate's cleanup needs its connection" },
    { reason: "Deleting", kind: "ProvisioningKey", starts: "restore the connection", why: "the certificate row speaks for keys too (deletionPolicy)" },
    { reason: "CredentialsInvalid", kind: "ClusterVendorConnection", starts: "fix the credentials Secret", why: "an `all` row applies to every kind" },
    { reason: "Disabled", kind: "ProvisioningKey", starts: "set `spec.enabled: true`", why: "a row on no kind in particular still answers" },
  ] as const;
  it.each(cases)("$reason on $kind: $why", ({ reason, kind, starts }) => {
    expect(nextStepFor(reason, kind)?.startsWith(starts)).toBe(true);
  });

  it("say nothing where the README says — (a Ready resource) and for reasons it does not list", () => {
    expect(nextStepFor("Issued", "ManagedCertificate")).toBeUndefined();
    expect(nextStepFor("Verified", "VendorConnection")).toBeUndefined();
    expect(nextStepFor("NoSuchReason", "ManagedCertificate")).toBeUndefined();
    expect(rowFor("Rotated", "ProvisioningKey")?.reasons).toContain("Created");
  });

  it("read as terminal text: no backticks, README links say where they point; waiting is told from acting", () => {
    expect(plainText("create the Secret with the keys from [the table above](#vendor-credentials-and-connections), or set `credentialsRef.keys`")).toBe(
      "create the Secret with the keys from the table above (README: vendor credentials and connections), or set credentialsRef.keys",
    );
    expect(plainText("see [ADR 0005](docs/adr/0005-ordering.md)")).toBe("see ADR 0005");
    expect(onlyWaits(nextStepFor("Pending", "ManagedCertificate")!)).toBe(true);
    expect(onlyWaits(nextStepFor("RateLimited", "ProvisioningKey")!)).toBe(true);
    expect(onlyWaits(nextStepFor("AwaitingApproval", "ManagedCertificate")!)).toBe(false);
    expect(firstClause(plainText(nextStepFor("CredentialsInvalid", "ManagedCertificate")!))).toBe("fix the credentials Secret");
  });
});
