import { describe, expect, test } from "vitest";
import { FakeClock, clockFromMillis, millisOf, systemClock } from "./clock.ts";

describe("Clock", () => {
  test("the system clock tells the wall time", () => {
    const before = Date.now();
    const now = millisOf(systemClock);
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  test("a fake clock moves only when told, and never back", () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    expect(clock.now().toISOString()).toBe("2026-01-01T00:00:00.000Z");
    clock.advance(90_000);
    expect(clock.now().toISOString()).toBe("2026-01-01T00:01:30.000Z");
    clock.advance(-5_000);
    expect(millisOf(clock)).toBe(Date.UTC(2026, 0, 1, 0, 1, 30));
    clock.set(new Date("2030-01-01T00:00:00Z"));
    expect(clock.now().toISOString()).toBe("2030-01-01T00:00:00.000Z");
  });

  test("a millisecond source becomes a Clock (the simulation's virtual time, a vendor ms-clock)", () => {
    let ms = 1_000;
    const clock = clockFromMillis(() => ms);
    expect(millisOf(clock)).toBe(1_000);
    ms = 2_500;
    expect(clock.now().getTime()).toBe(2_500);
  });
});
