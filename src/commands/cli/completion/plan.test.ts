import { describe, expect, it } from "vitest";
import { cliSpecs } from "../specs.ts";
import { planCompletion } from "./plan.ts";

const COMMANDS = [
  { name: "run", summary: "run the operator" },
  { name: "status", summary: "one screen" },
  { name: "sim", summary: "simulators" },
  { name: "renew", summary: "re-issue" },
];
const plan = (line: string) => planCompletion(line.split(" "), COMMANDS, cliSpecs);
const values = (line: string) => plan(line).candidates.map((c) => c.value);

describe("completion", () => {
  const cases = [
    { line: "s", want: ["status", "sim"], why: "commands from the table, by prefix" },
    { line: "status mc", want: ["mcert/"], why: "kinds for kind/name, short and long spellings" },
    { line: "status managed", want: ["managedcertificate/"], why: "the singular" },
    { line: "status -o ", want: ["json", "yaml"], why: "a flag's choices" },
    { line: "status --output ", want: ["json", "yaml"], why: "the long spelling too" },
    { line: "status --n", want: ["--namespace", "--no-color"], why: "flags by prefix" },
    { line: "inspect ", want: ["secret"], why: "a fixed first word" },
    { line: "completion ", want: ["bash", "zsh", "fish"], why: "the shells" },
    { line: "run --log-l", want: ["--log-level"], why: "run's flags come from the operator's settings table" },
    { line: "check x ", want: [], why: "check takes no positionals" },
  ];
  it.each(cases)("$why: '$line'", ({ line, want }) => {
    expect(values(line)).toEqual(want);
  });

  it("asks the cluster for names where a name goes, with the flags typed so far", () => {
    expect(plan("renew -n web sh").names).toEqual({ kind: "ManagedCertificate", prefix: "", flags: { namespace: "web" } });
    expect(plan("renew --namespace=web a sh").names?.flags).toEqual({ namespace: "web" });
    expect(plan("status mcert/sh")).toMatchObject({ names: { kind: "ManagedCertificate", prefix: "mcert/" }, partial: "mcert/sh" });
    expect(plan("inspect secret ").names?.kind).toBe("Secret");
    expect(plan("status -n ").names?.kind).toBe("Namespace");
  });

  it("kind/ continues without a space; --kubeconfig completes files", () => {
    expect(plan("status mc").noSpace).toBe(true);
    expect(plan("status --kubeconfig ").files).toBe(true);
  });
});
