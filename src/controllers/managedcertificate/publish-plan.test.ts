// The publish decisions as tables: what a reconcile does about the ZPA copies, which names a
// certificate covers, which segments it may be pointed at (tenancy), and what Published says.
import { describe, expect, it } from "vitest";
import type { BrowserAccessSegment } from "../../ports/application-segments.ts";
import { createTestCa } from "../../pki/test-ca.ts";
import {
  certificateCovers,
  certificateFacts,
  copiesOf,
  judgeSegment,
  publishedCondition,
  type PublishFacts,
  publishStep,
  selectorsHash,
  skippedRevisions,
} from "./publish-plan.ts";

const ref = { kind: "VendorConnection" as const, name: "zpa" };
const selectors = [{ name: "Portal" }];
const current = { serialNumber: "0b", name: "ns-web-r2" };
const inLine = {
  certificateId: "z-2",
  name: "ns-web-r2",
  serialNumber: "0b",
  revision: 2,
  connectionRef: ref,
  segmentSelectorsHash: selectorsHash(selectors),
};

describe("publishStep", () => {
  it.each<{ why: string; facts: PublishFacts; kind: string }>([
    { why: "nothing asked, nothing held", facts: { want: undefined, have: undefined, current }, kind: "idle" },
    { why: "spec removed while copies are held: they go", facts: { want: undefined, have: inLine, current }, kind: "unpublish" },
    {
      why: "spec removed, only an earlier copy still held: it goes too",
      facts: { want: undefined, have: { retired: [{ certificateId: "z-1" }] }, current },
      kind: "unpublish",
    },
    {
      why: "another connection: the copies behind the old one go first",
      facts: { want: { connectionRef: { kind: "ClusterVendorConnection", name: "zpa" }, applicationSegments: selectors }, have: inLine, current },
      kind: "unpublish",
    },
    { why: "no certificate issued yet", facts: { want: { connectionRef: ref }, have: undefined, current: undefined }, kind: "idle" },
    { why: "first publication", facts: { want: { connectionRef: ref }, have: undefined, current }, kind: "publish" },
    {
      why: "a new revision (serial differs)",
      facts: { want: { connectionRef: ref, applicationSegments: selectors }, have: { ...inLine, serialNumber: "0a" }, current },
      kind: "publish",
    },
    {
      why: "spec.publish.zpa.name changed (another ZPA name)",
      facts: { want: { connectionRef: ref, applicationSegments: selectors }, have: { ...inLine, name: "old-r2" }, current },
      kind: "publish",
    },
    {
      why: "an earlier copy waits to be deleted",
      facts: { want: { connectionRef: ref, applicationSegments: selectors }, have: { ...inLine, retired: [{ certificateId: "z-1" }] }, current },
      kind: "publish",
    },
    {
      why: "the selectors changed since the segments were confirmed",
      facts: { want: { connectionRef: ref, applicationSegments: [{ domain: "*.example.com" }] }, have: inLine, current },
      kind: "publish",
    },
    {
      why: "a segment was refused or unmatched last time (no hash recorded)",
      facts: { want: { connectionRef: ref, applicationSegments: selectors }, have: { ...inLine, segmentSelectorsHash: undefined }, current },
      kind: "publish",
    },
    {
      why: "published by an older operator (no connection recorded)",
      facts: { want: { connectionRef: ref, applicationSegments: selectors }, have: { ...inLine, connectionRef: undefined }, current },
      kind: "publish",
    },
    {
      why: "everything in line: no vendor call",
      facts: { want: { connectionRef: ref, applicationSegments: selectors }, have: inLine, current },
      kind: "inLine",
    },
  ])("$why → $kind", ({ facts, kind }) => {
    expect(publishStep(facts).kind).toBe(kind);
  });

  it("selectors hash ignores order and domain case, and tells the three kinds apart", () => {
    expect(selectorsHash([{ id: "1" }, { domain: "A.example.com" }])).toBe(selectorsHash([{ domain: "a.example.com" }, { id: "1" }]));
    expect(selectorsHash([{ id: "1" }])).not.toBe(selectorsHash([{ name: "1" }]));
    expect(selectorsHash(undefined)).toBe(selectorsHash([]));
  });

  it("copiesOf: the current copy and the earlier ones, each once", () => {
    expect(copiesOf({ certificateId: "z-3", name: "r3", retired: [{ certificateId: "z-1" }, { certificateId: "z-3" }] })).toEqual([
      { certificateId: "z-3", name: "r3" },
      { certificateId: "z-1" },
    ]);
  });

  it.each([
    { why: "no gap", recorded: 2, current: 3, out: [] },
    { why: "one revision skipped (uploaded, then renewed before the status write)", recorded: 1, current: 3, out: [2] },
    { why: "a long gap: the nearest three", recorded: 1, current: 9, out: [8, 7, 6] },
    { why: "nothing recorded: nothing to compare with", recorded: undefined, current: 3, out: [] },
  ])("skippedRevisions: $why", ({ recorded, current, out }) => {
    expect(skippedRevisions(recorded, current)).toEqual(out);
  });
});

describe("certificate names", () => {
  it.each([
    { why: "exact", names: ["app.example.com"], name: "app.example.com", covered: true },
    { why: "DNS names ignore case and a trailing dot", names: ["app.example.com"], name: "App.Example.COM.", covered: true },
    { why: "a wildcard covers one label", names: ["*.example.com"], name: "app.example.com", covered: true },
    { why: "…not two (RFC 6125)", names: ["*.example.com"], name: "a.b.example.com", covered: false },
    { why: "…nor the bare parent", names: ["*.example.com"], name: "example.com", covered: false },
    { why: "a segment's wildcard only by the same wildcard", names: ["*.example.com"], name: "*.example.com", covered: true },
    { why: "a segment's wildcard is not covered by a name under it", names: ["app.example.com"], name: "*.example.com", covered: false },
    { why: "a suffix that is not a label", names: ["*.example.com"], name: "app.notexample.com", covered: false },
    { why: "an IP address is no DNS name", names: ["app.example.com"], name: "10.0.0.1", covered: false },
  ])("$why", ({ names, name, covered }) => {
    expect(certificateCovers(names, name)).toBe(covered);
  });

  it("certificateFacts reads the leaf's dNSName SANs (not the CN) and whether it may serve TLS", async () => {
    const ca = await createTestCa({ name: "plan" });
    const sans = { dnsNames: ["App.example.com", "*.apps.example.com"], ipAddresses: ["10.0.0.1"] };
    const server = await ca.issue({ commonName: "cn-only.example.com" }, sans, { usage: "server" });
    expect(certificateFacts(server.leafPem)).toEqual({ dnsNames: ["app.example.com", "*.apps.example.com"], serverAuth: true });
    const client = await ca.issue({ commonName: "cn-only.example.com" }, sans, { usage: "client" });
    expect(certificateFacts(client.leafPem).serverAuth).toBe(false);
  });
});

describe("judgeSegment (which segments a certificate may be pointed at)", () => {
  const segment = (domainNames: string[], apps: string[]): BrowserAccessSegment => ({
    id: "s1",
    name: "Portal",
    enabled: true,
    domainNames,
    apps: apps.map((d, i) => ({ id: `a${i}`, name: d, domain: d, certificateId: "seed" })),
  });
  it.each([
    {
      why: "namespaced connection: the covered apps move, the others stay",
      seg: segment(["a.example.com", "b.example.com"], ["a.example.com", "b.example.com"]),
      names: ["a.example.com"],
      shared: false,
      out: { kind: "repoint", domains: ["a.example.com"] },
    },
    {
      why: "shared connection: a segment that also serves names outside the certificate is refused",
      seg: segment(["a.example.com", "b.example.com"], ["a.example.com", "b.example.com"]),
      names: ["a.example.com"],
      shared: true,
      out: { kind: "refused", why: expect.stringMatching(/also serves b\.example\.com.*ClusterVendorConnection/) },
    },
    {
      why: "shared connection: a segment domain (not only an app) outside the certificate is refused too",
      seg: segment(["a.example.com", "*.internal.example.com"], ["a.example.com"]),
      names: ["a.example.com"],
      shared: true,
      out: { kind: "refused", why: expect.stringMatching(/\*\.internal\.example\.com/) },
    },
    {
      why: "shared connection: every name covered (by a wildcard) → re-pointed",
      seg: segment(["a.example.com", "b.example.com"], ["a.example.com", "b.example.com"]),
      names: ["*.example.com"],
      shared: true,
      out: { kind: "repoint", domains: ["a.example.com", "b.example.com"] },
    },
    {
      why: "no app the certificate covers: nothing to re-point, said so",
      seg: segment(["c.example.com"], ["c.example.com"]),
      names: ["a.example.com"],
      shared: false,
      out: { kind: "refused", why: expect.stringMatching(/covers none/) },
    },
    {
      why: "a certificate without DNS names covers nothing",
      seg: segment(["a.example.com"], ["a.example.com"]),
      names: [],
      shared: false,
      out: { kind: "refused", why: expect.stringMatching(/no DNS names/) },
    },
    {
      why: "a client certificate (Cloudflare mTLS: its names were never validated, browsers reject it) is pointed at nothing",
      seg: segment(["a.example.com"], ["a.example.com"]),
      names: ["a.example.com"],
      shared: false,
      serverAuth: false,
      out: { kind: "refused", why: expect.stringMatching(/lacks serverAuth/) },
    },
  ])("$why", ({ seg, names, shared, out, ...rest }) => {
    const serverAuth = "serverAuth" in rest ? (rest.serverAuth as boolean) : true;
    expect(judgeSegment(seg, { dnsNames: names, serverAuth }, shared)).toEqual(out);
  });
});

describe("publishedCondition", () => {
  const base = {
    name: "ns-web-r2",
    certificateId: "z-2",
    serving: [{ id: "s1", name: "Portal", apps: 2 }],
    unmatched: [],
    refused: [],
    unconfirmed: [],
    held: [],
  };
  it.each([
    { why: "all in line", r: base, status: "True", reason: "Published", message: /^Uploaded to ZPA as "ns-web-r2" \(id z-2\), served by segment "Portal"\.$/ },
    {
      why: "an earlier copy still served: published, but the copy is named with its segments",
      r: { ...base, held: [{ certificateId: "z-1", name: "ns-web-r1", heldBy: ["Legacy"] }] },
      status: "True",
      reason: "UnpublishBlocked",
      message: /"ns-web-r1" \(id z-1\) is still served by segment "Legacy", so it is kept/,
    },
    {
      why: "a segment refused beats the rest (a person must act)",
      r: { ...base, refused: [{ segment: "Other", why: "it also serves b.example.com" }], unmatched: ['name "Gone"'] },
      status: "False",
      reason: "SegmentNotPermitted",
      message: /segment "Other" is left alone: it also serves b\.example\.com\. no browser-access application segment matches name "Gone"/,
    },
    { why: "a selector matching nothing", r: { ...base, unmatched: ["id 42"] }, status: "False", reason: "SegmentNotFound", message: /matches id 42/ },
    {
      why: "a segment that did not read back",
      r: { ...base, unconfirmed: ["Portal"] },
      status: "False",
      reason: "PublishFailed",
      message: /did not read back/,
    },
  ])("$why", ({ r, status, reason, message }) => {
    const c = publishedCondition(r);
    expect(c).toMatchObject({ status, reason });
    expect(c.message).toMatch(message);
  });
});
