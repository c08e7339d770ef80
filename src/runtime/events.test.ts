import pino from "pino";
import { describe, expect, test } from "vitest";
import { FakeClock } from "./clock.ts";
import { KubeEventRecorder } from "./events.ts";
import { FakeKubeApi } from "./kube/fake.ts";
import { core } from "./kube/resource.ts";
import { widget, widgets } from "./testing.ts";

const settle = () => new Promise((r) => setTimeout(r, 5));

describe("KubeEventRecorder", () => {
  test("one Event per transition within the dedup window, judged and stamped by the injected clock", async () => {
    const api = new FakeKubeApi();
    const clock = new FakeClock(Date.UTC(2026, 0, 1, 12));
    const recorder = new KubeEventRecorder({ client: api, log: pino({ level: "silent" }), controller: "example.test/widget", instance: "pod-1", clock });
    const [object] = api.seed(widgets, widget("a"));
    const regarding = { type: widgets, object: object! };
    const event = { type: "Warning" as const, reason: "RateLimited", action: "Order", note: "slow down" };
    recorder.record(regarding, event);
    recorder.record(regarding, event);
    clock.advance(9 * 60_000);
    recorder.record(regarding, event);
    await settle();
    expect(api.store.all(core.events)).toHaveLength(1);
    clock.advance(2 * 60_000);
    recorder.record(regarding, event);
    await settle();
    const events = api.store.all<{ metadata: { name?: string }; eventTime?: string; regarding?: { uid?: string }; reportingInstance?: string }>(core.events);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({ eventTime: "2026-01-01T12:00:00.000000Z", regarding: { uid: object!.metadata.uid }, reportingInstance: "pod-1" });
  });

  test("a failed write is logged, never thrown into the reconcile", async () => {
    const api = new FakeKubeApi();
    api.failOn({ method: "create" }, new Error("events API down"));
    const recorder = new KubeEventRecorder({ client: api, log: pino({ level: "silent" }), controller: "c", instance: "i" });
    expect(() => recorder.record({ type: widgets, object: widget("a") }, { type: "Normal", reason: "Issued", action: "Issue", note: "ok" })).not.toThrow();
    await settle();
  });
});
