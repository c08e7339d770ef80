// The checks before a paid order, through startIssuance over FakeKubeApi: a refusal is a condition
// with the next step, and nothing at all happens at the vendor or in the cluster besides the status
// (no key Secret, no intent, no budget). The real API server and simulators: test/integration/loose-ends.test.ts.
import { describe, expect, it } from "vitest";
import type { CertificateAuthority } from "../../ports/certificate-authority.ts";
import { VendorError } from "../../ports/vendor-error.ts";
import { core } from "../../runtime/kube/resource.ts";
import { IssuanceBudget } from "../ordering/budget.ts";
import { type RequestPorts, startIssuance } from "./request.ts";
import { connection } from "./test-support.ts";
import { certificateFixture, vendorOf } from "./testing.ts";
import { ReissueReason } from "./trigger.ts";

function portsOf(f: ReturnType<typeof certificateFixture>, ca: CertificateAuthority, budget = new IssuanceBudget()): RequestPorts {
  return {
    io: { client: f.api, secrets: { get: () => undefined } },
    ca,
    connection,
    budget,
    timing: { windowMs: 1_000, lookupFirstMs: 100 },
    step: async () => {},
    countFailure: () => {},
  };
}

const first = { reason: ReissueReason.NotIssued, message: "No certificate has been issued yet." };
const pkcs12 = { additionalOutputFormats: [{ type: "PKCS12", passwordSecretRef: { name: "p12", key: "password" } }] };
const condition = (f: ReturnType<typeof certificateFixture>, type: string) => f.port.status.conditions?.find((c) => c.type === type);

describe("before a paid order", () => {
  it.each([
    {
      why: "the PKCS12 password Secret does not exist",
      password: undefined,
      message: /PKCS12 password Secret ns\/p12 does not exist\. Create it with the keystore password under key "password"; nothing is ordered/,
    },
    { why: "the password Secret lacks its key", password: { other: "eA==" }, message: /lacks key "password"\. Create it/ },
    { why: "the password is empty", password: { password: "" }, message: /lacks key "password"/ },
  ])("$why: SecretNotFound with the next step, no vendor call, no key Secret, no intent, no budget", async ({ password, message }) => {
    const f = certificateFixture({ spec: pkcs12 });
    if (password !== undefined) f.api.seed(core.secrets, { metadata: { name: "p12", namespace: "ns" }, data: password });
    const budget = new IssuanceBudget();
    // Every vendor method throws when called: the test fails on any call.
    const out = await startIssuance(f.ctx, f.port, portsOf(f, vendorOf({}), budget), first, undefined);
    expect(out).toEqual({ kind: "done", result: { requeueAfterMs: 60_000 } });
    expect(condition(f, "Ready")).toMatchObject({ status: "False", reason: "SecretNotFound", message: expect.stringMatching(message) });
    expect(condition(f, "Issuing")).toMatchObject({ status: "False", reason: "SecretNotFound" });
    expect(f.port.status.pendingIssuance).toBeUndefined();
    expect(f.api.peek(core.secrets, "ns", "web-certbridge-key")).toBeUndefined();
    expect(f.api.writes.map((c) => c.plural)).toEqual(["managedcertificates"]);
    expect(budget.take("VendorConnection/ns/cf", 1, Date.now())).toMatchObject({ ok: true });
  });

  it("a lifetime the vendor cannot honour: DurationUnavailable with its offer, and nothing ordered", async () => {
    const f = certificateFixture({ spec: { duration: "2160h", cloudflare: {} } });
    const asked: number[] = [];
    const ca = vendorOf({
      validityDays: async (_options, days) => {
        asked.push(days);
        return { days: 365, offered: 'terms of 365, 730 days (profile "OV SSL")' };
      },
    });
    const out = await startIssuance(f.ctx, f.port, portsOf(f, ca), first, undefined);
    expect(out).toEqual({ kind: "done", result: { requeueAfterMs: 600_000 } });
    expect(asked).toEqual([90]);
    expect(condition(f, "Ready")).toMatchObject({ status: "False", reason: "DurationUnavailable" });
    expect(condition(f, "Issuing")?.message).toMatch(/cannot issue spec.duration 2160h \(90 days\): it offers terms of 365, 730 days.*nothing was ordered/);
    expect(f.port.status.pendingIssuance).toBeUndefined();
    expect(f.api.peek(core.secrets, "ns", "web-certbridge-key")).toBeUndefined();
    expect(f.counted).toEqual(["cloudflare validityDays"]);
  });

  it("a valid certificate in place stays Ready while a renewal's lifetime is refused", async () => {
    const notAfter = new Date(Date.parse("2026-03-01T10:00:00Z") + 20 * 86_400_000).toISOString();
    const f = certificateFixture({
      spec: { duration: "2160h", cloudflare: {} },
      status: {
        revision: 1,
        serialNumber: "0a",
        notAfter,
        conditions: [{ type: "Ready", status: "True", reason: "Issued", message: "m", lastTransitionTime: "2026-02-01T00:00:00Z" }],
      },
    });
    const ca = vendorOf({ validityDays: async () => ({ days: 365, offered: "terms of 365 days" }) });
    await startIssuance(f.ctx, f.port, portsOf(f, ca), { reason: ReissueReason.Renewing, message: "Renewal due." }, undefined);
    expect(condition(f, "Ready")).toMatchObject({ status: "True", reason: "Issued" });
    expect(condition(f, "Issuing")).toMatchObject({ status: "False", reason: "DurationUnavailable" });
  });

  it("a lifetime within 10 % is ordered, and the rounding is said in Issuing and an Event", async () => {
    const f = certificateFixture({ spec: { duration: "36h", cloudflare: {} } });
    const refused = new VendorError({ kind: "invalid", vendor: "cloudflare", operation: "createClientCertificate", message: "no", httpStatus: 400 });
    const ca = vendorOf({ submit: async () => Promise.reject(refused) });
    // What the intent write said, as the paid call left (the refusal afterwards ends this attempt).
    let atIntent: typeof f.port.status | undefined;
    const ports = { ...portsOf(f, ca), step: async (step: string) => void (step === "intent-recorded" && (atIntent = structuredClone(f.port.status))) };
    await startIssuance(f.ctx, f.port, ports, first, undefined);
    expect(atIntent?.pendingIssuance).toMatchObject({ revision: 1, reason: "NotIssued" });
    expect(atIntent?.conditions?.find((c) => c.type === "Issuing")?.message).toMatch(
      /Cloudflare issues 2 days for spec.duration 36h \(1.5 days\), 12 hours longer/,
    );
    expect(f.events).toContainEqual(expect.objectContaining({ type: "Normal", reason: "DurationRounded" }));
  });

  it("a vendor error while asking is shown with the vendor's reason; a spec the vendor refuses is not retried until it changes", async () => {
    const f = certificateFixture({ spec: { duration: "2160h", cloudflare: {} } });
    const ca = vendorOf({
      validityDays: async () => {
        throw new VendorError({ kind: "invalid", vendor: "sectigo", operation: "ssl.listProfiles", message: 'no ssl certificate profile "Nope"' });
      },
    });
    const out = await startIssuance(f.ctx, f.port, portsOf(f, ca), first, undefined);
    expect(out).toEqual({ kind: "done", result: {} });
    expect(condition(f, "Issuing")).toMatchObject({ reason: "InvalidSpec", message: expect.stringMatching(/no ssl certificate profile "Nope"; fix the spec/) });
    expect(f.port.status.pendingIssuance).toBeUndefined();
  });

  it("a passing transient error is shown and returned for the queue's backoff", async () => {
    const f = certificateFixture({ spec: { duration: "2160h", cloudflare: {} } });
    const error = new VendorError({ kind: "transient", vendor: "sectigo", operation: "ssl.listProfiles", message: "503", httpStatus: 503 });
    const ca = vendorOf({ validityDays: async () => Promise.reject(error) });
    await expect(startIssuance(f.ctx, f.port, portsOf(f, ca), first, undefined)).rejects.toBe(error);
    expect(condition(f, "Issuing")).toMatchObject({ reason: "VendorError" });
  });
});
