// Order options reach the adapters as the ManagedCertificate schema parsed them, tagged by vendor; the
// name an intent's orders are searched by is derived from them in one place.
import { describe, expect, it } from "vitest";
import { ManagedCertificateSpec } from "../api/v1alpha1/managedcertificate.ts";
import { type CertificateOrder, lookupNameOf, orderOptionsOf, vendorRefused } from "./certificate-authority.ts";
import { VendorError, type VendorErrorKind } from "./vendor-error.ts";

const base = { connectionRef: { name: "ca" }, secretName: "tls" };
const sectigoSsl = { type: "SSL", profile: { name: "OV SSL" } } as const;
const sectigoClient = { type: "Client", profile: { id: 3 }, person: { email: "ada@example.com", firstName: "Ada", lastName: "Lovelace" } } as const;

describe("orderOptionsOf", () => {
  it.each([
    {
      why: "a Sectigo block is tagged sectigo, as parsed",
      spec: { dnsNames: ["a.example.com"], sectigo: sectigoSsl },
      want: { vendor: "sectigo", options: sectigoSsl },
    },
    {
      why: "a Cloudflare block is tagged cloudflare",
      spec: { commonName: "device-1", cloudflare: { validityDays: 30 } },
      want: { vendor: "cloudflare", options: { validityDays: 30 } },
    },
  ])("$why", ({ spec, want }) => {
    expect(orderOptionsOf(ManagedCertificateSpec.parse({ ...base, ...spec }))).toEqual(want);
  });

  it("a spec naming no vendor cannot have passed its schema: a programming error, not an order", () => {
    expect(() => orderOptionsOf({})).toThrow(TypeError);
  });
});

describe("lookupNameOf", () => {
  const order = (vendorOptions: CertificateOrder["vendorOptions"], names: { commonName?: string; dnsNames?: string[] }) => ({
    vendorOptions,
    dnsNames: [],
    ...names,
  });
  const client = { vendor: "sectigo", options: sectigoClient } as const;
  const ssl = { vendor: "sectigo", options: sectigoSsl } as const;
  const cloudflare = { vendor: "cloudflare", options: {} } as const;
  it.each([
    { why: "a Sectigo client certificate is found by the person's e-mail", o: order(client, { commonName: "Ada Lovelace" }), want: "ada@example.com" },
    { why: "a Sectigo SSL certificate by its common name", o: order(ssl, { commonName: "a.example.com", dnsNames: ["b.example.com"] }), want: "a.example.com" },
    { why: "without a common name, by the first DNS name", o: order(ssl, { dnsNames: ["b.example.com", "c.example.com"] }), want: "b.example.com" },
    { why: "Cloudflare options never select the e-mail", o: order(cloudflare, { commonName: "device-1" }), want: "device-1" },
    { why: "nothing to search by", o: order(cloudflare, { commonName: "" }), want: undefined },
    { why: "cut to what status keeps", o: order(cloudflare, { commonName: "x".repeat(400) }), want: "x".repeat(320) },
  ])("$why", ({ o, want }) => {
    expect(lookupNameOf(o)).toBe(want);
  });
});

describe("vendorRefused: only the vendor's own refusal makes a cancel or revocation final", () => {
  const error = (kind: VendorErrorKind, httpStatus?: number) =>
    new VendorError({ kind, vendor: "sectigo", operation: "ssl.get", message: "m", ...(httpStatus === undefined ? {} : { httpStatus }) });
  it.each([
    { why: "a 400: the vendor says the call is wrong for this order", e: error("invalid", 400), refused: true },
    { why: "a 404: the order is gone there", e: error("notFound", 404), refused: true },
    { why: "a 409: the order is in a state that cannot be cancelled", e: error("conflict", 409), refused: true },
    { why: "a 200 whose body did not match the schema (a garbled answer): the call may have worked, ask again", e: error("permanent", 200), refused: false },
    { why: "a 200 too large to read: the same", e: error("permanent", 200), refused: false },
    { why: "a 502 after forwarding: no verdict", e: error("transient", 502), refused: false },
    { why: "a 408: the vendor timed out, no verdict", e: error("transient", 408), refused: false },
    { why: "a 429: throttled, no verdict", e: error("rateLimited", 429), refused: false },
    { why: "no answer (timeout, reset)", e: error("transient"), refused: false },
    { why: "our client refused to send it (an invalid reference): asking again changes nothing", e: error("invalid"), refused: true },
  ])("$why", ({ e, refused }) => {
    expect(vendorRefused(e)).toBe(refused);
  });
});
