import { describe, expect, it } from "vitest";
import { clientOrderResponseSchema, deviceOrderResponseSchema, parseScmDate, sslDetailsSchema, sslEnrollResponseSchema, sslListSchema } from "./wire.ts";
import { toSslCertificate } from "./ssl.ts";

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
    expect(toSslCertificate(sslDetailsSchema.parse(body)).id).toBe(id);
  });

  it("details without any id are a typed error", () => {
    expect(() => toSslCertificate(sslDetailsSchema.parse({ status: "Issued" }))).toThrow(/neither id nor sslId/);
  });

  it("details: absent arrays read as empty, null comments as absent, dates parsed", () => {
    const d = toSslCertificate(sslDetailsSchema.parse({ id: 1, status: "Requested", comments: null, requested: "12/04/2025" }));
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

  it("a list item without optional fields", () => {
    expect(sslListSchema.parse([{ sslId: 905, commonName: "ccmqa.com" }])).toEqual([{ sslId: 905, commonName: "ccmqa.com", subjectAlternativeNames: [], serialNumber: undefined }]);
  });
});
