import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminClient, configMaps, eventually, freshNamespace, testLogger } from "../harness/kube.ts";
import { KubeEventRecorder } from "../../src/runtime/events.ts";
import { type KubeObject, core } from "../../src/runtime/kube/resource.ts";
import type { KubeClient } from "../../src/runtime/kube/client.ts";

type Event = KubeObject & { reason: string; note: string; type: string; regarding: { name: string; uid: string; kind: string }; reportingController: string };

let client: KubeClient;
beforeAll(() => {
  client = adminClient();
});
afterAll(async () => {
  await client.close();
});

describe("events recorder", () => {
  it("records events.k8s.io/v1 Events about an object, drops repeats, and scrubs secret material", async () => {
    const ns = await freshNamespace(client);
    const object = await client.create<KubeObject>(configMaps, { metadata: { name: "subject", namespace: ns } });
    const recorder = new KubeEventRecorder({ client, log: testLogger(), controller: "certbridge.dev/certbridge", instance: "test-instance" });
    const regarding = { type: configMaps, object };
    recorder.record(regarding, { type: "Normal", reason: "Issued", action: "Issue", note: "certificate issued" });
    recorder.record(regarding, { type: "Normal", reason: "Issued", action: "Issue", note: "certificate issued" }); // a repeat
    recorder.record(regarding, {
      type: "Warning",
      reason: "VendorError",
      action: "Issue",
      note: "vendor said -----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
    });
    const events = await eventually("two events", async () => {
      const list = await client.list<Event>(core.events, { namespace: ns });
      return list.items.length >= 2 ? list.items : undefined;
    });
    await new Promise((r) => setTimeout(r, 300));
    const final = (await client.list<Event>(core.events, { namespace: ns })).items;
    expect(final).toHaveLength(2);
    const byReason = Object.fromEntries(events.map((e) => [e.reason, e]));
    expect(byReason.Issued).toMatchObject({
      type: "Normal",
      note: "certificate issued",
      reportingController: "certbridge.dev/certbridge",
      regarding: { name: "subject", uid: object.metadata.uid, kind: "ConfigMap" },
    });
    expect(byReason.VendorError?.note).not.toContain("AAAA");
    expect(byReason.VendorError?.note).toContain("[REDACTED PEM]");
  });
});
