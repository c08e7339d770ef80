// Client (S/MIME) and device certificates and organizations against the simulated SCM over HTTP.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { inspectCertificate, verifyChain } from "../../pki/inspect.ts";
import { startSectigoSimulator, type SectigoSimulator } from "../../sim/sectigo/server.ts";
import { clientFor, makeCsr, SEED } from "../../sim/sectigo/testing.ts";
import { isVendorError, type VendorError } from "../shared/errors.ts";
import type { SectigoClient } from "./client.ts";
import { sameDeviceStatus, type DeviceEnrollRequest } from "./device.ts";
import { OrganizationClient } from "./organizations.ts";
import type { ClientEnrollRequest } from "./smime.ts";

async function failure(p: Promise<unknown>): Promise<VendorError> {
  try {
    await p;
  } catch (e) {
    if (isVendorError(e)) return e;
    throw e;
  }
  throw new Error("expected a VendorError");
}

let sim: SectigoSimulator;
let scm: SectigoClient;
let csr: string;
beforeAll(async () => {
  sim = await startSectigoSimulator();
  scm = clientFor(sim);
  csr = await makeCsr("ignored-by-smime");
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

describe("ClientCertClient (S/MIME)", () => {
  const person = (over: Partial<ClientEnrollRequest> = {}): ClientEnrollRequest => ({
    orgId: SEED.orgId,
    csr,
    certType: SEED.smimeProfile,
    term: 365,
    email: "jane.doe@example.com",
    firstName: "Jane",
    middleName: "Q",
    lastName: "Doe",
    phone: "12345678",
    secondaryEmails: ["jd@example.com"],
    eppn: "jdoe@example.com",
    upn: "jdoe@corp.example.com",
    ...over,
  });

  it("enroll with the person fields → -183 pending → issued client certificate for the e-mail", async () => {
    sim.setIssuance({ collectsBeforeIssued: 2 });
    const order = await scm.smime.enroll(person({ comments: "mail signing" }));
    expect(order).toEqual({ id: expect.any(Number), orderNumber: expect.any(Number), backendCertId: expect.stringMatching(/^\d+$/) });
    for (let i = 0; i < 2; i++) {
      const err = await failure(scm.smime.collect(order.id!));
      expect([err.kind, err.vendorCode]).toEqual(["pending", "-183"]);
    }
    const got = await scm.smime.collect(order.id!, "x509");
    const info = await inspectCertificate(got.leafPem!);
    expect(info.subjectCn).toBe("Jane Q Doe");
    expect(info.sans.emailAddresses).toEqual(["jane.doe@example.com"]);
    expect(verifyChain(got.leafPem!, got.chainPem.join(""), sim.ca.root.certPem).ok).toBe(true);
    expect(sim.state().pendingCollects.smime).toBe(2);
  });

  it("collect by backend id; details are lower-case `issued`; the list carries state and comments", async () => {
    const order = await scm.smime.enroll(person({ commonName: "Jane Doe (mail)", comments: "c1" }));
    expect((await scm.smime.collectByBackendId(order.backendCertId!, "pemco")).leafPem).toBeDefined();
    const d = await scm.smime.get(order.id!);
    expect(d).toMatchObject({ id: order.id, status: "issued", commonName: "Jane Doe (mail)", comments: "c1", term: 365 });
    const page = await scm.smime.list({ email: "jane.doe@example.com" }, { size: 10 });
    expect(page.total).toBe(1);
    expect(page.items[0]).toMatchObject({ id: order.id, state: "issued", comments: "c1", backendCertId: order.backendCertId });
    expect(page.items[0]?.expires).toBeInstanceOf(Date);
    expect(await scm.smime.count({ state: "issued" })).toBe(1);
  });

  it.each([
    ["by id (v1)", (c: SectigoClient, o: { id: number; backendCertId: string; serial: string }) => c.smime.renew(o.id)],
    ["by backend id (v2)", (c: SectigoClient, o: { id: number; backendCertId: string; serial: string }) => c.smime.renewByBackendId(o.backendCertId)],
    ["by serial (v2)", (c: SectigoClient, o: { id: number; backendCertId: string; serial: string }) => c.smime.renewBySerial(o.serial)],
  ])("renew %s answers the new order", async (_why, renew) => {
    const order = await scm.smime.enroll(person());
    await scm.smime.collect(order.id!);
    const serial = (await scm.smime.get(order.id!)).serialNumber!;
    const next = await renew(scm, { id: order.id!, backendCertId: order.backendCertId!, serial });
    expect(next.id).not.toBe(order.id);
    expect(sim.state().renewals.smime).toBe(1);
  });

  it.each([
    ["by id", (c: SectigoClient, o: { id: number; backendCertId: string; serial: string }) => c.smime.revoke(o.id, { reason: "affiliationChanged", message: "" })],
    ["by backend id", (c: SectigoClient, o: { id: number; backendCertId: string; serial: string }) => c.smime.revokeByBackendId(o.backendCertId, { reason: "cessationOfOperation", message: "left" })],
    ["by serial", (c: SectigoClient, o: { id: number; backendCertId: string; serial: string }) => c.smime.revokeBySerial(o.serial, { reason: "unspecified", message: "x" })],
  ])("revoke %s (an empty reason is allowed for client certificates)", async (_why, revoke) => {
    const order = await scm.smime.enroll(person());
    await scm.smime.collect(order.id!);
    const serial = (await scm.smime.get(order.id!)).serialNumber!;
    expect(await revoke(scm, { id: order.id!, backendCertId: order.backendCertId!, serial })).toEqual({ alreadyRevoked: false });
    expect((await scm.smime.get(order.id!)).status).toBe("revoked");
  });

  it("findOrders lists by e-mail and filters by marker", async () => {
    const uid = "c0ffee00-0000-4000-8000-000000000001";
    const mine = await scm.smime.enroll(person({ marker: { uid, revision: 5 } }));
    await scm.smime.enroll(person({ marker: { uid: "other", revision: 5 } }));
    expect((await scm.smime.findOrders("jane.doe@example.com", { uid, revision: 5 })).map((o) => o.id)).toEqual([mine.id]);
  });

  it.each([
    ["firstName missing", { firstName: "" }, "invalid", "-7"],
    ["e-mail missing", { email: "" }, "invalid", "-7"],
    ["name over 64 characters", { lastName: "x".repeat(70) }, "invalid", "-1601"],
    ["unknown client profile", { certType: 1 }, "invalid", "-172"],
    ["term not offered", { term: 10 }, "invalid", "-36"],
  ] as const)("enroll error: %s → %s (%s)", async (_why, over, kind, code) => {
    const err = await failure(scm.smime.enroll(person(over)));
    expect([err.kind, err.vendorCode]).toEqual([kind, code]);
  });

  it("unknown id → notFound (-5101)", async () => {
    const err = await failure(scm.smime.get(4242));
    expect([err.kind, err.vendorCode, err.httpStatus]).toEqual(["notFound", "-5101", 404]);
  });
});

describe("DeviceCertClient", () => {
  const device = async (over: Partial<DeviceEnrollRequest> = {}): Promise<DeviceEnrollRequest> => ({
    orgId: SEED.departmentId,
    csr: await makeCsr("device-7.fleet.example.com"),
    certType: SEED.deviceProfile,
    term: 365,
    customFields: SEED.deviceCustomFields,
    optionalFields: [{ name: "commonName", value: "device-7" }],
    ...over,
  });

  it("enroll answers deviceCertId and APPROVED; details say Approved (title-case); then issued", async () => {
    sim.setIssuance({ collectsBeforeIssued: 1 });
    const order = await scm.device.enroll(await device({ comments: "rack 4" }));
    expect(order).toMatchObject({ deviceCertId: expect.any(Number), status: "APPROVED", backendCertId: expect.any(String), orderNumber: expect.any(Number) });
    const before = await scm.device.get(order.deviceCertId);
    expect(before.status).toBe("Approved");
    expect(sameDeviceStatus(before.status, order.status!)).toBe(true);
    expect((await failure(scm.device.collect(order.deviceCertId))).kind).toBe("pending");
    const got = await scm.device.collect(order.deviceCertId, "base64");
    const info = await inspectCertificate(got.leafPem!);
    expect(info.subjectCn).toBe("device-7");
    const listed = await scm.device.list({ commonName: "device-7" });
    expect(listed.items.map((i) => i.status)).toEqual(["ISSUED"]);
    expect((await scm.device.get(order.deviceCertId)).status).toBe("Issued");
  });

  it("approval mode: approve and decline by id", async () => {
    sim.setIssuance({ approvalRequired: true });
    const a = await scm.device.enroll(await device());
    const b = await scm.device.enroll(await device());
    expect(a.status).toBe("REQUESTED");
    await scm.device.approve(a.deviceCertId, "ok");
    await scm.device.decline(b.deviceCertId, "no");
    expect((await scm.device.collect(a.deviceCertId)).leafPem).toBeDefined();
    expect((await scm.device.get(b.deviceCertId)).status).toBe("Declined");
    expect(sim.state()).toMatchObject({ approvals: 1, declines: 1 });
  });

  it("renew by id and by serial answer the new order; revoke by id and by serial", async () => {
    const first = await scm.device.enroll(await device());
    await scm.device.collect(first.deviceCertId);
    const renewed = await scm.device.renew(first.deviceCertId);
    expect(renewed.deviceCertId).not.toBe(first.deviceCertId);
    const serial = (await scm.device.get(first.deviceCertId)).serialNumber!;
    const again = await scm.device.renewBySerial(serial);
    expect(again.deviceCertId).not.toBe(renewed.deviceCertId);
    await scm.device.revokeBySerial(serial, { reason: "superseded", message: "" });
    await scm.device.collect(renewed.deviceCertId);
    await scm.device.revoke(renewed.deviceCertId, { reason: "superseded", message: "" });
    expect(await scm.device.revoke(renewed.deviceCertId, { reason: "superseded", message: "" })).toEqual({ alreadyRevoked: true });
    expect(sim.state().revocations.device).toBe(2);
  });

  it("findOrders by common name and marker", async () => {
    const uid = "d3v1c3-0001";
    const mine = await scm.device.enroll(await device({ marker: { uid, revision: 1 } }));
    await scm.device.enroll(await device());
    expect((await scm.device.findOrders("device-7", { uid })).map((o) => o.id)).toEqual([mine.deviceCertId]);
  });

  it("update and mark rewrite comments and custom fields", async () => {
    const order = await scm.device.enroll(await device({ comments: "rack 4", marker: { uid: "d3v1c3-0002", revision: 1 } }));
    const updated = await scm.device.update(order.deviceCertId, { customFields: [{ name: "custom field", value: "fleet-2" }] });
    expect(updated.customFields).toEqual([{ name: "custom field", value: "fleet-2" }]);
    expect((await scm.device.mark(order.deviceCertId, { uid: "d3v1c3-0002", revision: 2 })).comments).toBe("rack 4 [certbridge uid=d3v1c3-0002 rev=2]");
    const client = await scm.smime.enroll({ orgId: SEED.orgId, csr: await makeCsr("x"), certType: SEED.smimeProfile, term: 365, email: "m@example.com", firstName: "M", lastName: "N" });
    expect((await scm.smime.update(client.id!, { comments: "hello" })).comments).toBe("hello");
    expect((await scm.smime.mark(client.id!, { uid: "u-1", revision: 3 })).comments).toBe("hello [certbridge uid=u-1 rev=3]");
  });

  it.each([
    ["mandatory custom field missing", { customFields: [] }, "invalid", "-62"],
    ["unknown device profile", { certType: 77 }, "invalid", "-5109"],
    ["invalid optional field name", { optionalFields: [{ name: "", value: "x" }] }, "invalid", "-64"],
  ] as const)("enroll error: %s → %s (%s)", async (_why, over, kind, code) => {
    const err = await failure(scm.device.enroll(await device(over)));
    expect([err.kind, err.vendorCode]).toEqual([kind, code]);
  });
});

describe("OrganizationClient", () => {
  it("lists the organization with its departments; either id is a valid orgId", async () => {
    const orgs = await scm.organizations.list();
    expect(orgs).toEqual([{ id: SEED.orgId, name: expect.any(String), departments: [expect.objectContaining({ id: SEED.departmentId, parentName: orgs[0]!.name }), expect.any(Object)] }]);
    expect(OrganizationClient.contains(orgs, SEED.departmentId)).toBe(true);
    expect(OrganizationClient.contains(orgs, 1)).toBe(false);
    expect(await scm.organizations.listByCertType("Device")).toHaveLength(1);
  });
});
