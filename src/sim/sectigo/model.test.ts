// The simulator's state machine on its own (no HTTP): which transitions each phase allows, with the
// documented fault when it does not. The issuer is a fake made of a function field.
import { describe, expect, it } from "vitest";
import { ScmFault } from "./faults.ts";
import { colonSerial, normalizeSerial, SectigoModel, statusText, type Family, type Issuer, type Order, type Phase } from "./model.ts";
import { DEFAULT_SEED } from "./seed.ts";

const fakeIssuer: Issuer = async (req) => ({
  leafPem: `leaf for ${req.commonName}`,
  chainPems: ["intermediate", "root"],
  serialHex: "0A1B2C",
  notBefore: req.notBefore,
  notAfter: req.notAfter,
  subject: `CN=${req.commonName}`,
  issuer: "CN=Sim Issuing CA",
  sha1: "AA",
  sha256: "BB",
});

function newModel(
  over: Partial<{ delayMs: number; collectsBeforeIssued: number; approvalRequired: boolean }> = {},
  clock = { t: 1_700_000_000_000 },
): SectigoModel {
  return new SectigoModel({
    seed: DEFAULT_SEED,
    issuance: { delayMs: 0, collectsBeforeIssued: 0, approvalRequired: false, ...over },
    issuer: fakeIssuer,
    now: () => clock.t,
  });
}

function order(m: SectigoModel, family: Family = "ssl"): Order {
  return m.enroll(family, {
    orgId: 8932,
    profile: DEFAULT_SEED.profiles[family][0]!,
    term: 365,
    commonName: "a.example.com",
    sans: [],
    csrPem: "csr",
    keyAlgorithm: "EC",
    keySize: 256,
    comments: "",
    customFields: [],
  });
}

function codeOf(fn: () => unknown): number | "ok" {
  try {
    fn();
    return "ok";
  } catch (e) {
    if (e instanceof ScmFault) return e.code;
    throw e;
  }
}

async function inPhase(phase: Phase): Promise<{ m: SectigoModel; o: Order }> {
  const m = newModel({ approvalRequired: phase === "requested" || phase === "declined" });
  const o = order(m);
  if (phase === "issued" || phase === "revoked" || phase === "expired") await m.collect(o);
  if (phase === "revoked") m.revoke(o, 0, "x");
  if (phase === "declined") m.decline(o);
  if (phase === "rejected" || phase === "expired") o.phase = phase;
  return { m, o };
}

describe("SectigoModel transitions", () => {
  // phase → [approve, revoke, renew] outcome (documented code, or ok)
  const TABLE: ReadonlyArray<readonly [Phase, number | "ok", number | "ok", number | "ok", string]> = [
    ["requested", "ok", -102, -105, "waiting for an approver"],
    ["applied", -1112, -102, -105, "at the CA: nothing to approve, nothing to revoke yet"],
    ["issued", -1112, "ok", "ok", "the normal end state"],
    ["revoked", -1112, -159, -105, "already revoked"],
    ["declined", -1112, -102, -105, "refused by an approver"],
    ["rejected", -1112, -102, -105, "refused by the CA"],
    ["expired", -1112, -102, "ok", "expired certificates can be renewed"],
  ];
  it.each(TABLE)("%s: approve → %s, revoke → %s, renew → %s (%s)", async (phase, approve, revoke, renew) => {
    const a = await inPhase(phase);
    expect(codeOf(() => a.m.approve(a.o))).toBe(approve);
    const r = await inPhase(phase);
    expect(codeOf(() => r.m.revoke(r.o, 4, "x"))).toBe(revoke);
    const n = await inPhase(phase);
    expect(codeOf(() => n.m.renew(n.o))).toBe(renew);
  });

  const REJECT: ReadonlyArray<readonly [Phase, number | "ok", string]> = [
    ["requested", "ok", "an approver had not acted yet"],
    ["applied", "ok", "the CA refuses what it was sent"],
    ["issued", -1112, "too late to refuse"],
  ];
  it.each(REJECT)("reject from %s → %s (%s)", async (phase, want) => {
    const { m, o } = await inPhase(phase);
    expect(codeOf(() => m.reject(o))).toBe(want);
  });

  it("manual revoke marks even a non-issued order revoked (the CA is not contacted)", async () => {
    const { m, o } = await inPhase("applied");
    m.revoke(o, 0, "", true);
    expect([o.phase, o.manualRevoke]).toEqual(["revoked", true]);
  });

  it("collect: N pending answers, then the certificate; counts both", async () => {
    const m = newModel({ collectsBeforeIssued: 2 });
    const o = order(m, "smime");
    for (let i = 0; i < 2; i++) await expect(m.collect(o)).rejects.toMatchObject({ code: -183 });
    await expect(m.collect(o)).resolves.toMatchObject({ leafPem: "leaf for a.example.com" });
    expect(m.counters.collects.smime).toBe(3);
    expect(m.counters.pendingCollects.smime).toBe(2);
  });

  it("issuance waits for the delay on the injected clock", async () => {
    const clock = { t: 1_000 };
    const m = newModel({ delayMs: 500 }, clock);
    const o = order(m);
    await m.refresh(o);
    expect(o.phase).toBe("applied");
    clock.t += 500;
    await m.refresh(o);
    expect(o.phase).toBe("issued");
    expect(o.material!.notAfter.getTime() - o.material!.notBefore.getTime()).toBe(365 * 86_400_000);
  });

  it("concurrent reads issue once", async () => {
    let calls = 0;
    const m = new SectigoModel({
      seed: DEFAULT_SEED,
      issuance: { delayMs: 0, collectsBeforeIssued: 0, approvalRequired: false },
      now: Date.now,
      issuer: async (r) => (calls++, fakeIssuer(r)),
    });
    const o = order(m);
    await Promise.all([m.refresh(o), m.refresh(o), m.collect(o)]);
    expect(calls).toBe(1);
  });

  it("an issued certificate past notAfter reads Expired", async () => {
    const clock = { t: 0 };
    const m = newModel({}, clock);
    const o = order(m);
    await m.collect(o);
    clock.t += 366 * 86_400_000;
    await m.refresh(o);
    expect(statusText(o)).toBe("Expired");
  });

  it("renew copies the parameters, marks the old order and counts a renewal, not an enroll", async () => {
    const { m, o } = await inPhase("issued");
    const next = m.renew(o);
    expect([next.commonName, next.term, next.profile.id, o.renewed, o.renewedTo]).toEqual([o.commonName, o.term, o.profile.id, true, next.id]);
    expect([m.counters.enrolls.ssl, m.counters.renewals.ssl]).toEqual([1, 1]);
  });

  it("a profile that forbids renew answers -180", async () => {
    const m = newModel();
    const o = m.enroll("ssl", {
      orgId: 8932,
      profile: DEFAULT_SEED.profiles.ssl[1]!,
      term: 365,
      commonName: "a",
      sans: [],
      csrPem: "c",
      keyAlgorithm: "EC",
      keySize: 256,
      comments: "",
      customFields: [],
    });
    await m.collect(o);
    expect(codeOf(() => m.renew(o))).toBe(-180);
  });

  it.each([
    ["exact", "example.com", true],
    ["subdomain", "a.b.example.com", true],
    ["wildcard", "*.example.org", true],
    ["suffix lookalike", "badexample.com", false],
    ["other TLD", "example.co", false],
  ])("DCV coverage: %s %s → %s", (_why, name, ok) => {
    expect(newModel().isValidated(name)).toBe(ok);
  });

  it("reset returns to the seeded account", async () => {
    const m = newModel({ approvalRequired: false });
    order(m);
    m.issuance.approvalRequired = true;
    m.validateDomain("new.test");
    m.reset();
    expect([m.orders.size, m.counters.enrolls.ssl, m.issuance.approvalRequired, m.isValidated("new.test")]).toEqual([0, 0, false, false]);
  });

  it.each([
    ["colon hex", "0A:1B:2C", "A1B2C"],
    ["lower case bare", "0a1b2c", "A1B2C"],
    ["zero", "00", "0"],
  ])("serials compare by value: %s", (_why, serial, want) => {
    expect(normalizeSerial(serial)).toBe(want);
  });

  it("serials display as colon hex", () => {
    expect(colonSerial("A1B2C")).toBe("0A:1B:2C");
  });
});
