import { describe, expect, it } from "vitest";
import { type IssuerOptions, type RequestedAttributes, mapRequest } from "./mapping.ts";

const ssl: IssuerOptions = { vendor: "sectigo", options: { type: "SSL", profile: { name: "OV SSL" }, term: 365 } };
const client: IssuerOptions = {
  vendor: "sectigo",
  options: { type: "Client", profile: { id: 2 }, person: { email: "jane@example.com", firstName: "Jane", lastName: "Doe" } },
};
const device: IssuerOptions = { vendor: "sectigo", options: { type: "Device", profile: { id: 7 } } };
const cloudflare: IssuerOptions = { vendor: "cloudflare", options: { validityDays: 90 } };

describe("mapRequest: what the vendor can issue", () => {
  it.each<{ reason: string; issuer: IssuerOptions; req: RequestedAttributes; refused?: RegExp }>([
    { reason: "cert-manager's default usages (none named) fit every product", issuer: cloudflare, req: {} },
    { reason: "a TLS server certificate from Sectigo SSL", issuer: ssl, req: { usages: ["digital signature", "key encipherment", "server auth"] } },
    { reason: "Sectigo SSL certificates carry client auth too", issuer: ssl, req: { usages: ["client auth", "server auth"] } },
    {
      reason: "Cloudflare issues client certificates only: server auth is refused, naming what it can",
      issuer: cloudflare,
      req: { usages: ["digital signature", "server auth"] },
      refused: /usages "server auth" cannot be issued: Cloudflare API Shield client certificates carry only .*client auth/,
    },
    { reason: "S/MIME for Sectigo client certificates", issuer: client, req: { usages: ["digital signature", "email protection", "content commitment"] } },
    {
      reason: "S/MIME usages are not in an SSL certificate",
      issuer: ssl,
      req: { usages: ["email protection"] },
      refused: /"email protection" cannot be issued: Sectigo SSL certificates/,
    },
    { reason: "device certificates authenticate machines", issuer: device, req: { usages: ["client auth"] } },
    {
      reason: "no vendor here signs certificates: cert sign is refused",
      issuer: ssl,
      req: { usages: ["cert sign", "any"] },
      refused: /usages "cert sign", "any" cannot be issued/,
    },
    { reason: "isCA is never possible", issuer: device, req: { isCA: true }, refused: /isCA is not possible: Sectigo device certificates are never CA/ },
    {
      reason: "a duration beyond Cloudflare's 15 years is refused rather than silently shortened",
      issuer: cloudflare,
      req: { duration: "200000h" },
      refused: /longer than Cloudflare issues \(5475 days\)/,
    },
  ])("$reason", ({ issuer, req, refused }) => {
    const mapped = mapRequest(issuer, req);
    if (refused === undefined) expect(mapped.ok).toBe(true);
    else expect(mapped.ok ? "accepted" : mapped.message).toMatch(refused);
  });
});

describe("mapRequest: duration", () => {
  it.each<{ reason: string; issuer: IssuerOptions; duration?: string; days: number; blockDays: number | undefined }>([
    { reason: "no duration: the issuer's term is the default", issuer: ssl, days: 0, blockDays: 365 },
    { reason: "no duration: Cloudflare's validityDays is the default", issuer: cloudflare, days: 0, blockDays: 90 },
    { reason: "cert-manager's 90 days (2160h) win over the issuer's term", issuer: ssl, duration: "2160h", days: 90, blockDays: undefined },
    { reason: "part days round up (never shorter by rounding)", issuer: cloudflare, duration: "25h", days: 2, blockDays: undefined },
    { reason: "less than a day is one day", issuer: cloudflare, duration: "1h", days: 1, blockDays: undefined },
  ])("$reason", ({ issuer, duration, days, blockDays }) => {
    const mapped = mapRequest(issuer, duration === undefined ? {} : { duration });
    if (!mapped.ok) throw new Error(mapped.message);
    expect(mapped.lifetimeDays).toBe(days);
    const o = mapped.vendorOptions;
    expect(o.vendor === "sectigo" ? o.options.term : o.options.validityDays).toBe(blockDays);
  });

  it("refuses a duration that is not one", () => {
    expect(mapRequest(ssl, { duration: "forever" })).toEqual({ ok: false, message: 'duration "forever" is not a positive duration' });
  });
});
