import { describe, expect, it } from "vitest";
import { clientOrderResponseSchema, deviceOrderResponseSchema, listedOrdersSchema, orderDetailsSchema, parseScmDate, sslEnrollResponseSchema } from "./wire.ts";
import { toCertificateDetails } from "./certificates.ts";

const details = (body: unknown) => toCertificateDetails(orderDetailsSchema.parse(body), "ssl.get");

describe("parseScmDate", () => {
  it.each([
    ["details default MM/dd/yyyy", "12/04/2025", "2025-12-04T00:00:00.000Z"],
    ["client list yyyy-MM-dd", "2345-06-07", "2345-06-07T00:00:00.000Z"],
    ["DCV log yyyy-MM-dd HH:mm:ss", "2025-12-04 07:48:44", "2025-12-04T07:48:44.000Z"],
    ["US_HMS", "07/10/2024 14:30:00", "2024-07-10T14:30:00.000Z"],
    ["ISO_HMS", "2026-01-03T07:52:47.794Z", "2026-01-03T07:52:47.794Z"],
  ])("%s", (_why, text, iso) => {
    expect(parseScmDate(text)?.toISOString()).toBe(iso);
  });

  it.each([
    ["garbage", "soon"],
    ["impossible month", "13/01/2025"],
    ["EU dotted (only with dateFormat=EU, which we never send)", "10.07.2024"],
  ])("unreadable: %s → undefined", (_why, text) => {
    expect(parseScmDate(text)).toBeUndefined();
  });
});

describe("wire quirks", () => {
  it("enroll answers sslId as a number and renewId as an opaque string", () => {
    expect(sslEnrollResponseSchema.parse({ sslId: 812, renewId: "kmITfPf3Gx8mqmK5D66L" })).toEqual({ sslId: 812, renewId: "kmITfPf3Gx8mqmK5D66L" });
  });

  it("ids sent as numeric strings are tolerated, other strings are not", () => {
    expect(sslEnrollResponseSchema.parse({ sslId: "812", renewId: "x" }).sslId).toBe(812);
    expect(sslEnrollResponseSchema.safeParse({ sslId: "abc", renewId: "x" }).success).toBe(false);
  });

  it.each([
    ["current `id`", { id: 811, status: "Issued" }, 811],
    ["deprecated `sslId` only", { sslId: 811, status: "Issued" }, 811],
    ["both", { id: 811, sslId: 811, status: "Issued" }, 811],
  ])("details carry the id as %s", (_why, body, id) => {
    expect(details(body).id).toBe(id);
  });

  it("details without any id are a typed error", () => {
    expect(() => details({ status: "Issued" })).toThrow(/neither id nor sslId/);
  });

  it("details: absent arrays read as empty, null comments as absent, dates parsed", () => {
    const d = details({ id: 1, status: "Requested", comments: null, requested: "12/04/2025" });
    expect(d.subjectAlternativeNames).toEqual([]);
    expect(d.customFields).toEqual([]);
    expect(d.comments).toBeUndefined();
    expect(d.requested?.toISOString()).toBe("2025-12-04T00:00:00.000Z");
    expect(d.renewed).toBe(false);
  });

  it("the 25.5 client enroll answer had no id; still parses", () => {
    expect(clientOrderResponseSchema.parse({ orderNumber: 12345, backendCertId: "12345" })).toEqual({ orderNumber: 12345, backendCertId: "12345" });
  });

  it("device enroll answers deviceCertId and an upper-case status", () => {
    expect(deviceOrderResponseSchema.parse({ deviceCertId: 335, status: "APPROVED", backendCertId: "5655", orderNumber: 335 }).deviceCertId).toBe(335);
  });

  it("backendCertId sent as a number becomes a string", () => {
    expect(deviceOrderResponseSchema.parse({ deviceCertId: 1, backendCertId: 5655 }).backendCertId).toBe("5655");
  });

  it.each([
    ["SSL: `sslId`, no state", { sslId: 905, commonName: "ccmqa.com" }, { id: 905, state: undefined, commonName: "ccmqa.com" }],
    ["client: `id` and a lower-case `state`", { id: 1, state: "issued", comments: "c" }, { id: 1, state: "issued", comments: "c" }],
    ["device: `id` and an upper-case `status`", { id: 335, status: "APPROVED" }, { id: 335, state: "APPROVED" }],
  ])("a listed order, %s, reads into one shape", (_why, item, want) => {
    expect(listedOrdersSchema.parse([item])[0]).toMatchObject(want);
  });

  it("a listed order without any id is refused, not guessed", () => {
    expect(listedOrdersSchema.safeParse([{ commonName: "ccmqa.com" }]).success).toBe(false);
  });
});
