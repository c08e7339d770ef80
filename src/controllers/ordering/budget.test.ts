import { describe, expect, it } from "vitest";
import { DEFAULT_ISSUANCES_PER_HOUR, IssuanceBudget } from "./budget.ts";

describe("issuance budget", () => {
  it("defaults to the documented 100 paid issuances per connection per hour", () => {
    expect(DEFAULT_ISSUANCES_PER_HOUR).toBe(100);
    const budget = new IssuanceBudget({ now: () => 0 });
    for (let i = 0; i < 100; i++) expect(budget.take("c").ok).toBe(true);
    expect(budget.take("c")).toEqual({ ok: false, retryAfterMs: 3_600_000, limit: 100 });
    expect(budget.take("other").ok).toBe(true);
  });

  it("slides with the caller's clock: one frees up an hour after it was taken", () => {
    const budget = new IssuanceBudget();
    expect(budget.take("c", 1, 1_000).ok).toBe(true);
    expect(budget.take("c", 1, 1_000 + 3_599_999)).toMatchObject({ ok: false, retryAfterMs: 1_000 });
    expect(budget.take("c", 1, 1_000 + 3_600_000).ok).toBe(true);
  });
});

describe("IssuanceBudget", () => {
  it("allows the limit per connection per sliding hour, then says when a slot frees", () => {
    let now = 0;
    const b = new IssuanceBudget({ defaultPerHour: 2, now: () => now });
    expect(b.take("ns/cf").ok).toBe(true);
    now = 10_000;
    expect(b.take("ns/cf").ok).toBe(true);
    expect(b.take("ns/cf")).toEqual({ ok: false, retryAfterMs: 3_590_000, limit: 2 });
    expect(b.take("ns/other").ok).toBe(true); // budgets are per connection
    now = 3_600_001;
    expect(b.take("ns/cf").ok).toBe(true); // the first one left the window
    expect(b.take("ns/cf", 10).ok).toBe(true); // a connection's own limit wins
  });
});
