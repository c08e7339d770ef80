import { describe, expect, it } from "vitest";
import { parseFlags } from "./flags.ts";
import { colourEnabled, createStyle, renderTable, visibleLength, wrapText } from "./style.ts";
import { relative, shortDuration } from "./time.ts";
import { statusSpec } from "./specs.ts";

describe("terminal output", () => {
  const colour = [
    { why: "a terminal", tty: true, env: {}, noColor: false, want: true },
    { why: "piped", tty: false, env: {}, noColor: false, want: false },
    { why: "NO_COLOR", tty: true, env: { NO_COLOR: "1" }, noColor: false, want: false },
    { why: "--no-color", tty: true, env: {}, noColor: true, want: false },
    { why: "TERM=dumb", tty: true, env: { TERM: "dumb" }, noColor: false, want: false },
    { why: "FORCE_COLOR even when piped", tty: false, env: { FORCE_COLOR: "1" }, noColor: false, want: true },
  ];
  it.each(colour)("colour: $why", ({ tty, env, noColor, want }) => {
    expect(colourEnabled({ isTTY: tty, env }, noColor)).toBe(want);
  });

  it("tables: columns padded, the last one cut to a terminal's width, nothing cut when piped", () => {
    const rows = [["a", "x".repeat(50)]];
    expect(renderTable(["K", "V"], rows)).toBe(`K  V\na  ${"x".repeat(50)}\n`);
    const cut = renderTable(["K", "V"], rows, 20).split("\n")[1]!;
    expect(cut).toBe(`a  ${"x".repeat(16)}…`);
    expect(visibleLength(createStyle(true).red("abc"))).toBe(3);
  });

  it("wraps long values on a terminal, with continuation lines indented", () => {
    expect(wrapText("one two three four five six", 40, "    ")).toBe("one two three four five six");
    expect(wrapText("aaaa bbbb cccc dddd eeee ffff gggg", 28, "  ")).toBe("aaaa bbbb cccc dddd eeee\n  ffff gggg");
    expect(wrapText("aaaa bbbb cccc dddd eeee ffff gggg", undefined, "  ")).toBe("aaaa bbbb cccc dddd eeee ffff gggg");
  });

  it("durations read like kubectl's ages", () => {
    expect([45_000, 150_000, 1_500_000, 19_800_000, 8 * 86_400_000 + 3_600_000, 400 * 86_400_000].map(shortDuration)).toEqual([
      "45s",
      "2m30s",
      "25m",
      "5h30m",
      "8d1h",
      "400d",
    ]);
    const now = new Date("2026-01-01T00:00:00Z");
    expect([relative("2026-01-01T00:05:00Z", now), relative("2025-12-31T23:00:00Z", now), relative("bogus", now)]).toEqual(["in 5m", "1h ago", ""]);
  });

  it("flags: unknown flags and values outside the choices are usage errors (exit 2)", () => {
    expect(parseFlags(statusSpec, ["mcert/x", "-n", "web", "-o", "json"]).values).toMatchObject({ namespace: "web", output: "json" });
    expect(() => parseFlags(statusSpec, ["--bogus"])).toThrow(expect.objectContaining({ exitCode: 2 }));
    expect(() => parseFlags(statusSpec, ["-o", "table"])).toThrow(/--output must be one of json, yaml/);
  });
});
