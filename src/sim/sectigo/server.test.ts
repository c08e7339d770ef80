// Serving: HTTPS with the sim CA, unknown routes, HEAD, the framework's request counters, dates.
import { describe, expect, it } from "vitest";
import { request } from "undici";
import { createDispatcher } from "../../vendors/shared/dispatcher.ts";
import { startSectigoSimulator } from "./server.ts";
import { clientFor } from "./testing.ts";
import { formatDate, resolveDateFormat } from "./views.ts";

describe("startSectigoSimulator", () => {
  it("serves HTTPS that a client trusts through the sim CA", async () => {
    const sim = await startSectigoSimulator({ tls: true });
    try {
      expect(sim.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const scm = clientFor(sim, { dispatcher: createDispatcher({ caBundlePem: sim.caPem! }) });
      expect(await scm.organizations.list()).toHaveLength(1);
    } finally {
      await sim.close();
    }
  });

  it("accepts several credentials and a custom customerUri", async () => {
    const sim = await startSectigoSimulator({
      customerUri: "cst42",
      credentials: [
        { login: "a", password: "pa" },
        { login: "b", password: "pb" },
      ],
    });
    try {
      const b = clientFor({ url: sim.url, customerUri: "cst42", credentials: { login: "b", password: "pb" } });
      expect(await b.ssl.listProfiles()).toHaveLength(2);
    } finally {
      await sim.close();
    }
  });

  it("unknown routes answer a plain 404 without an SCM code (the client reads notFound)", async () => {
    const sim = await startSectigoSimulator();
    try {
      const res = await request(`${sim.url}/api/ssl/v9/nothing`, {
        headers: { login: sim.credentials.login, password: sim.credentials.password, customerUri: sim.customerUri },
      });
      const body = (await res.body.json()) as Record<string, unknown>;
      expect([res.statusCode, body["code"]]).toEqual([404, undefined]);
    } finally {
      await sim.close();
    }
  });
});

describe("dateFormat", () => {
  const at = Date.UTC(2024, 6, 10, 14, 30, 0, 5);
  it.each([
    ["ISO", "2024-07-10"],
    ["iso_hms", "2024-07-10T14:30:00.005Z"],
    ["EU", "10.07.2024"],
    ["EU_HMS", "10.07.2024 14:30:00"],
    ["US", "07/10/2024"],
    ["US_HMS", "07/10/2024 14:30:00"],
    ["UK", "10/07/2024"],
    ["UK_HMS", "10/07/2024 14:30:00"],
    ["JP", "2024/07/10"],
    ["JP_HMS", "2024/07/10 14:30:00"],
    ["dd.mm.yyyy", "10.07.2024"],
    ["dd.MM.yyyy", "10.07.2024"],
  ])("%s → %s (the documented table, names and patterns, any case)", (param, want) => {
    expect(formatDate(at, resolveDateFormat(param, "MM/dd/yyyy")!)).toBe(want);
  });

  it("absent → the endpoint's default; unknown → undefined (400)", () => {
    expect(resolveDateFormat(null, "MM/dd/yyyy")).toBe("MM/dd/yyyy");
    expect(resolveDateFormat("yesterday", "MM/dd/yyyy")).toBeUndefined();
  });
});
