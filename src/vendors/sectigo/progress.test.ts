import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startSectigoSimulator, type SectigoSimulator } from "../../sim/sectigo/server.ts";
import { clientFor, makeCsr, SEED } from "../../sim/sectigo/testing.ts";
import { isVendorError } from "../shared/errors.ts";
import type { SectigoClient } from "./client.ts";
import { progressOf, type OrderProgress, type PollOutcome } from "./progress.ts";

const STATUSES: ReadonlyArray<readonly ["ssl" | "smime" | "device", string, OrderProgress["state"], string]> = [
  ["ssl", "Issued", "issued", "collect it"],
  ["ssl", "Requested", "blocked", "an SCM approver must act"],
  ["ssl", "Approved", "pending", "on its way to the CA"],
  ["ssl", "SAApproved", "pending", "same, enum spelling"],
  ["ssl", "SA Approved", "pending", "same, 25.9 OpenAPI spelling"],
  ["ssl", "Applied", "pending", "at the CA"],
  ["ssl", "Init", "pending", "being initialised"],
  ["ssl", "Declined", "failed", "an approver said no"],
  ["ssl", "Rejected", "failed", "the CA said no"],
  ["ssl", "Invalid", "failed", "bad data"],
  ["ssl", "Revoked", "failed", "gone"],
  ["ssl", "Expired", "failed", "gone"],
  ["ssl", "Replaced", "failed", "superseded"],
  ["ssl", "Unmanaged", "failed", "deprecated, no longer managed"],
  ["smime", "issued", "issued", "client states are lower-case"],
  ["smime", "requested", "pending", "client certificates have no approval step in the API"],
  ["smime", "created", "pending", "not yet submitted"],
  ["smime", "pre_revoked", "failed", "being revoked"],
  ["smime", "rejected", "failed", "the CA said no"],
  ["device", "APPROVED", "pending", "list/enroll spelling"],
  ["device", "Approved", "pending", "details spelling"],
  ["device", "REQUESTED", "blocked", "awaiting approval"],
  ["device", "AWAITING_APPROVAL", "blocked", "deprecated, falls back to REQUESTED"],
  ["device", "DECLINED", "failed", "an approver said no"],
  ["ssl", "SomethingNew", "pending", "unknown statuses never fail silently"],
];

describe("progressOf: status text → what the operator does", () => {
  it.each(STATUSES)("%s %s → %s (%s)", (family, status, state) => {
    expect(progressOf(family, status).state).toBe(state);
  });
});

/** Polls until issued (at most 5 times): issuance may land between a collect and the status read. */
async function until(poll: () => Promise<PollOutcome>): Promise<PollOutcome> {
  let last: PollOutcome | undefined;
  for (let i = 0; i < 5; i++) {
    last = await poll();
    if (last.state === "issued") return last;
  }
  return last!;
}

describe("poll() against the simulator", () => {
  let sim: SectigoSimulator;
  let scm: SectigoClient;
  let csr: string;
  const enroll = (over: { csr?: string; dcvMode?: "CNAME" } = {}) =>
    scm.ssl.enroll({
      orgId: SEED.orgId,
      csr: over.csr ?? csr,
      certType: SEED.sslProfile,
      term: 365,
      customFields: SEED.sslCustomFields,
      ...(over.dcvMode === undefined ? {} : { dcvMode: over.dcvMode }),
    });
  beforeAll(async () => {
    sim = await startSectigoSimulator();
    scm = clientFor(sim);
    csr = await makeCsr("poll.example.com");
  });
  afterAll(() => sim.close());
  beforeEach(() => sim.reset());

  it("pending while the CA works, then issued with leaf, intermediates and root told apart", async () => {
    sim.setIssuance({ collectsBeforeIssued: 2 });
    const { sslId } = await enroll();
    expect(await scm.ssl.poll(sslId)).toEqual({ state: "pending", reason: "submitted to the CA", status: "Applied" });
    const done = await until(() => scm.ssl.poll(sslId));
    expect(done.state).toBe("issued");
    if (done.state !== "issued") return;
    expect(done.certificate.intermediatesPem).toEqual([sim.ca.intermediate.certPem]);
    expect(done.certificate.rootPem).toBe(sim.ca.root.certPem);
  });

  it("blocked while awaiting approval, issued once approved", async () => {
    sim.setIssuance({ approvalRequired: true });
    const { sslId } = await enroll();
    expect(await scm.ssl.poll(sslId)).toEqual({ state: "blocked", reason: "awaiting approval in SCM", status: "Requested" });
    sim.approve(sslId);
    expect((await scm.ssl.poll(sslId)).state).toBe("issued");
  });

  it("blocked on DCV, naming the domains", async () => {
    const { sslId } = await enroll({ csr: await makeCsr("api.pending-dcv.test"), dcvMode: "CNAME" });
    expect(await scm.ssl.poll(sslId)).toEqual({ state: "blocked", reason: "domain control validation pending for api.pending-dcv.test", status: "Applied" });
  });

  it("a declined order is a permanent error, not an endless poll", async () => {
    sim.setIssuance({ approvalRequired: true });
    const { sslId } = await enroll();
    sim.decline(sslId);
    const err = await scm.ssl.poll(sslId).catch((e: unknown) => e);
    expect(isVendorError(err) && [err.kind, err.vendorCode]).toEqual(["permanent", "-169"]);
  });

  it("a rejected order (still answering 'not yet' to collect) is turned into a permanent error by its status", async () => {
    sim.setIssuance({ delayMs: 3_600_000 });
    const device = await scm.device.enroll({ orgId: SEED.orgId, csr, certType: SEED.deviceProfile, term: 365, customFields: SEED.deviceCustomFields });
    expect((await scm.device.poll(device.deviceCertId)).state).toBe("pending");
    sim.reject(device.deviceCertId);
    // collect of a rejected order answers -169 (permanent) directly; both paths end permanent.
    const err = await scm.device.poll(device.deviceCertId).catch((e: unknown) => e);
    expect(isVendorError(err) && err.kind).toBe("permanent");
  });

  it("client certificates: -183 pending, then issued", async () => {
    sim.setIssuance({ collectsBeforeIssued: 2 });
    const order = await scm.smime.enroll({
      orgId: SEED.orgId,
      csr,
      certType: SEED.smimeProfile,
      term: 365,
      email: "p@example.com",
      firstName: "P",
      lastName: "Q",
    });
    expect(await scm.smime.poll(order.id!)).toEqual({ state: "pending", reason: "submitted to the CA", status: "requested" });
    expect((await until(() => scm.smime.poll(order.id!))).state).toBe("issued");
  });
});
