import { Writable } from "node:stream";
import pino from "pino";
import { describe, expect, test } from "vitest";
import { Controller } from "./controller.ts";
import { TerminalError } from "./errors.ts";
import type { ReconcileContext, Reconciler, Result } from "./reconcile.ts";

/** A logger whose JSON lines the test reads back. */
function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split("\n")) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: "debug" }, stream), lines };
}

async function runOnce(reconcile: (ctx: ReconcileContext) => Promise<Result>) {
  const { log, lines } = capturingLogger();
  const contexts: ReconcileContext[] = [];
  const reconciler: Reconciler = {
    name: "widget",
    reconcile: async (ctx) => {
      contexts.push(ctx);
      return reconcile(ctx);
    },
  };
  const controller = new Controller({ reconciler, log, concurrency: 1, queue: { backoff: { baseMs: 60_000, maxMs: 60_000 } } });
  controller.start();
  controller.enqueue("team/a");
  const deadline = Date.now() + 2_000;
  while (controller.reconcileCount === 0 || controller.queue.stats().processing > 0) {
    if (Date.now() > deadline) throw new Error("no reconcile");
    await new Promise((r) => setTimeout(r, 2));
  }
  await new Promise((r) => setTimeout(r, 5));
  await controller.stop(100);
  return { lines, contexts };
}

describe("Controller failure logs", () => {
  test("a failed reconcile logs the error's kind, vendor code, request id and code, with the reconcile id", async () => {
    const vendorLike = Object.assign(new Error("sectigo enroll: too many requests"), {
      name: "VendorError",
      code: "ERR_VENDOR",
      kind: "rateLimited",
      vendor: "sectigo",
      operation: "enroll",
      vendorCode: "-1003",
      requestId: "req-42",
      httpStatus: 429,
      retryAfterMs: 30_000,
    });
    const { lines, contexts } = await runOnce(async (ctx) => {
      ctx.log.info("working");
      throw vendorLike;
    });
    const failed = lines.find((l) => l.msg === "reconcile failed; will retry");
    expect(failed).toMatchObject({
      controller: "widget",
      key: "team/a",
      reconcileId: contexts[0]!.reconcileId,
      error: "VendorError",
      code: "ERR_VENDOR",
      kind: "rateLimited",
      vendor: "sectigo",
      operation: "enroll",
      vendorCode: "-1003",
      requestId: "req-42",
      httpStatus: 429,
      err: "sectigo enroll: too many requests",
      retryInMs: 60_000,
    });
    // The reconciler's own lines carry the same id: one grep finds the whole reconcile.
    expect(lines.find((l) => l.msg === "working")).toMatchObject({ reconcileId: contexts[0]!.reconcileId, key: "team/a" });
  });

  test("the retry waits at least the error's Retry-After", async () => {
    const { lines } = await runOnce(async () => {
      throw Object.assign(new Error("slow down"), { retryAfterMs: 90_000 });
    });
    expect(lines.find((l) => l.msg === "reconcile failed; will retry")).toMatchObject({ retryInMs: 90_000, retryAfterMs: 90_000 });
  });

  test("a terminal error is logged once, with its code, and not retried", async () => {
    const { lines } = await runOnce(async () => {
      throw new TerminalError("spec invalid: bad dnsNames");
    });
    expect(lines.find((l) => l.msg === "reconcile stopped: terminal error")).toMatchObject({
      code: "ERR_TERMINAL",
      reason: "spec invalid: bad dnsNames",
      reconcileId: expect.any(String),
    });
    expect(lines.some((l) => l.msg === "reconcile failed; will retry")).toBe(false);
  });

  test("reconcile ids differ between reconciles", async () => {
    const a = await runOnce(async () => ({}));
    const b = await runOnce(async () => ({}));
    expect(a.contexts[0]!.reconcileId).toMatch(/^[0-9a-f]{6}-[0-9a-z]+$/);
    expect(a.contexts[0]!.reconcileId).not.toBe(b.contexts[0]!.reconcileId);
  });
});
