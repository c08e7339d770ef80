// The same search, encoded the way each client puts it on the wire, must mean the same thing to the
// simulator, because it means the same to ZPA. Encoders (behaviour described, not copied):
// - ours: URLSearchParams (space → '+', '+' → %2B), with the expression in the SDKs' `+` form;
// - zscaler-sdk-python: requests' params encoding (quote_plus) of "name+EQ+<value>"
//   (zscaler/request_executor.py _prepare_params); recorded as `search=name%2BEQ%2BService+Edge`;
// - zscaler-sdk-go OneAPI: url.QueryEscape of the same (zscaler/zparequests.go; QueryEscape writes '+' for
//   a space although the comment there says %20);
// - zscaler-sdk-go legacy: the same, then every '+' replaced by %20 (zscaler/zpa/v2_client.go getRequest);
// - the documents: `name%20LIKE%20client`, i.e. spaces as %20 between the parts.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startZpaSimulator, type ZpaSimulator } from "./server.ts";
import { SEED_IDS } from "./seed.ts";
import { mgmt, raw, signIn } from "./testing.ts";

/** Percent-encode UTF-8 bytes, keeping only what Go's QueryEscape and Python's quote_plus keep. */
function queryEscape(s: string): string {
  let out = "";
  for (const byte of Buffer.from(s, "utf8")) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9_.~-]/.test(c)) out += c;
    else if (c === " ") out += "+";
    else out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

const encoders: Array<{ reason: string; encode: (name: string) => string }> = [
  { reason: "ours (URLSearchParams, '+' form)", encode: (n) => new URLSearchParams({ search: `name+EQ+${n}` }).toString() },
  { reason: "ours in the documented form (spaces between the parts)", encode: (n) => new URLSearchParams({ search: `name EQ ${n}` }).toString() },
  { reason: "zscaler-sdk-python (quote_plus)", encode: (n) => `search=${queryEscape(`name+EQ+${n}`)}` },
  { reason: "zscaler-sdk-go OneAPI (QueryEscape)", encode: (n) => `search=${queryEscape(`name+EQ+${n}`)}` },
  { reason: "zscaler-sdk-go legacy (QueryEscape, then + → %20)", encode: (n) => `search=${queryEscape(`name+EQ+${n}`).replaceAll("+", "%20")}` },
  { reason: "the documents (%20 between the parts)", encode: (n) => `search=${encodeURIComponent(`name EQ ${n}`)}` },
];

/** Names users may give, each beside a near-duplicate a sloppy decoder would confuse it with. */
const names: Array<{ reason: string; name: string; decoy: string }> = [
  { reason: "'+' (a decoder that turns it into a space finds the decoy)", name: "a+b", decoy: "a b" },
  { reason: "'%' (a second decode would choke on '% o')", name: "100% off", decoy: "100 off" },
  { reason: "'&' (unencoded, it would end the parameter)", name: "R&D portal", decoy: "R" },
  { reason: "spaces", name: "Service Edge Keys", decoy: "Service Edge" },
  { reason: "a doubled space", name: "two  spaces", decoy: "two spaces" },
  { reason: "unicode", name: "Zürich ünïcødé ✓", decoy: "Zurich unicode" },
  { reason: "a trailing blank (the value runs to the end of the string)", name: "trailing ", decoy: "trailing" },
];

let sim: ZpaSimulator;
let token: string;
const listPath = () => `${mgmt(sim.customerId)}/associationType/CONNECTOR_GRP/provisioningKey`;

beforeAll(async () => {
  sim = await startZpaSimulator({ rateLimits: false });
  token = await signIn(sim);
  let id = 91_000;
  for (const { name, decoy } of names)
    for (const n of [name, decoy])
      sim.zpa.putKey({
        id: String(id++),
        associationType: "CONNECTOR_GRP",
        name: n,
        maxUsage: 1,
        usageCount: 0,
        enabled: true,
        enrollmentCertId: SEED_IDS.enrollmentCerts.connector,
        zcomponentId: SEED_IDS.connectorGroups.a,
        microtenantId: "0",
      });
});
afterAll(() => sim.close());

describe.each(encoders)("search=name EQ <name> encoded as $reason", ({ encode }) => {
  test.each(names)("finds exactly the name with $reason", async ({ name }) => {
    const r = await raw(sim, "GET", `${listPath()}?${encode(name)}`, { token });
    expect(r.status).toBe(200);
    const list = ((r.json as { list?: Array<{ name: string }> }).list ?? []).map((k) => k.name);
    expect(list).toEqual([name]);
  });
});

test("every encoding decodes to the same expression on the simulator", async () => {
  const before = sim.state().searches.length;
  for (const { encode } of encoders) await raw(sim, "GET", `${listPath()}?${encode("a+b")}`, { token });
  const seen = sim.state().searches.slice(before);
  expect(new Set(seen.map((s) => s.replace(/^name EQ /, "name+EQ+")))).toEqual(new Set(["name+EQ+a+b"]));
});

test("the recorded request itself: search=name%2BEQ%2BService+Edge on the enrollment certificates", async () => {
  const r = await raw(sim, "GET", `${mgmt(sim.customerId, 2)}/enrollmentCert?search=name%2BEQ%2BService+Edge`, { token });
  expect(r.json).toMatchObject({ totalPages: "1", totalCount: "1", list: [{ name: "Service Edge" }] });
});

test("a bare multi-word name (what the SDKs sent before switching to name+EQ+) is refused as ZPA refuses it", async () => {
  const r = await raw(sim, "GET", `${listPath()}?search=Corp++Trusted++Networks`, { token });
  expect([r.status, r.json]).toEqual([400, { params: [""], id: "filtering.input.invalid.operand", reason: "Invalid operand: in Filtering criteria." }]);
});
