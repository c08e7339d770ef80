// ZPA publishing: a revision is uploaded under its own name (ZPA cannot replace in place), the previous
// one deleted, then status records it; a crash in between is recovered by name; nothing is called when
// the copy is in line; the copy goes with the resource.
import { describe, expect, it } from "vitest";
import type { ResolvedConnectionOf } from "../../ports/connection.ts";
import type { BrowserCertificateStore } from "../../ports/provisioning-keys.ts";
import { VendorError } from "../../ports/vendor-error.ts";
import { core } from "../../runtime/kube/resource.ts";
import { buildOwnedSecret, type Secret } from "../shared/owned-secret.ts";
import type { Status } from "./context.ts";
import { type PublishPorts, publishZpa, unpublishZpa, zpaCertificateName } from "./publish.ts";
import { type Fixture, certificateFixture } from "./testing.ts";

const zpa: ResolvedConnectionOf<"zpa"> = {
  kind: "VendorConnection",
  namespace: "ns",
  name: "zpa",
  vendor: "zpa",
  settings: { authMode: "OneAPI", customerId: "216196257331281920", microtenantId: "mt-1" },
  credentials: {},
  fingerprint: "f",
};
const spec = { publish: { zpa: { connectionRef: { kind: "VendorConnection", name: "zpa" } } } };
const issued: Status = { revision: 2, serialNumber: "0a", vendorRef: "cf-2" };

function store(over: Partial<BrowserCertificateStore> = {}) {
  const calls: string[] = [];
  const s: BrowserCertificateStore = {
    findByName: async (name, mt) => {
      calls.push(`find ${name} ${mt}`);
      return undefined;
    },
    upload: async (input) => {
      calls.push(`upload ${input.name} ${input.microtenantId}`);
      return { id: "z-2", name: input.name };
    },
    delete: async (id, mt) => {
      calls.push(`delete ${id} ${mt}`);
    },
    ...over,
  };
  return { s, calls };
}

function ports(f: Fixture, s: BrowserCertificateStore | undefined, lookup: "ok" | "missing" = "ok"): PublishPorts {
  return {
    connections: {
      resolve: async () =>
        lookup === "ok" ? { ok: true, connection: zpa } : { ok: false, reason: "ConnectionNotFound", message: "VendorConnection zpa not found" },
    },
    ...(s === undefined ? {} : { browserCertificates: () => s }),
    io: { client: f.api, secrets: { get: () => undefined } },
  };
}

function withTlsSecret(
  f: Fixture,
  data: Record<string, string> = { "tls.crt": Buffer.from("CERT").toString("base64"), "tls.key": Buffer.from("KEY").toString("base64") },
): void {
  f.api.seed<Secret>(
    core.secrets,
    buildOwnedSecret(
      { kind: "ManagedCertificate", namespace: "ns", name: "web", uid: "0000-web" },
      { name: "web-tls", type: "kubernetes.io/tls", data, ownerReference: false },
    ),
  );
}

const published = (s: Status) => s.conditions?.find((c) => c.type === "Published");

describe("publishZpa", () => {
  it("without spec.publish.zpa: nothing called, nothing changed", async () => {
    const f = certificateFixture({ status: issued });
    const { s, calls } = store();
    expect(await publishZpa(f.ctx, ports(f, s), issued, 1)).toEqual({ status: issued });
    expect(calls).toEqual([]);
  });

  it("a new revision: looked up by name, uploaded (microtenant of the connection), the previous copy deleted, status records it", async () => {
    const f = certificateFixture({ spec, status: issued });
    withTlsSecret(f);
    const { s, calls } = store();
    const before: Status = { ...issued, publish: { zpa: { certificateId: "z-1", name: "ns-web-r1", serialNumber: "09" } } };
    const out = await publishZpa(f.ctx, ports(f, s), before, 1);
    expect(calls).toEqual(["find ns-web-r2 mt-1", "upload ns-web-r2 mt-1", "delete z-1 mt-1"]);
    expect(out.status.publish?.zpa).toMatchObject({ certificateId: "z-2", name: "ns-web-r2", serialNumber: "0a" });
    expect(published(out.status)).toMatchObject({ status: "True", reason: "Published" });
    expect(f.counted).toEqual(["zpa publish"]);
  });

  it("uploaded before a crash but not recorded: found by name, not uploaded twice", async () => {
    const f = certificateFixture({ spec, status: issued });
    withTlsSecret(f);
    const { s, calls } = store({
      findByName: async (name) => {
        calls.push(`find ${name}`);
        return { id: "z-2", name };
      },
    });
    const out = await publishZpa(f.ctx, ports(f, s), issued, 1);
    expect(calls).toEqual(["find ns-web-r2"]);
    expect(out.status.publish?.zpa?.certificateId).toBe("z-2");
  });

  it("in line with the certificate: no vendor call", async () => {
    const f = certificateFixture({ spec, status: issued });
    const { s, calls } = store();
    const inLine: Status = { ...issued, publish: { zpa: { certificateId: "z-2", name: "ns-web-r2", serialNumber: "0a" } } };
    const out = await publishZpa(f.ctx, ports(f, s), inLine, 1);
    expect(calls).toEqual([]);
    expect(published(out.status)).toMatchObject({ status: "True" });
    expect(out.retryMs).toBeUndefined();
  });

  it.each([
    { why: "the ZPA connection is missing", lookup: "missing" as const, hasStore: true, secret: true, reason: "ConnectionNotFound" },
    { why: "this build cannot publish", lookup: "ok" as const, hasStore: false, secret: true, reason: "PublishFailed" },
    { why: "the Secret has no certificate and key yet", lookup: "ok" as const, hasStore: true, secret: false, reason: "PublishFailed" },
  ])("not possible now ($why): Published False, looked at again later, nothing uploaded", async ({ lookup, hasStore, secret, reason }) => {
    const f = certificateFixture({ spec, status: issued });
    if (secret) withTlsSecret(f);
    const { s, calls } = store();
    const out = await publishZpa(f.ctx, ports(f, hasStore ? s : undefined, lookup), issued, 1);
    expect(published(out.status)).toMatchObject({ status: "False", reason });
    expect(out.retryMs).toBe(600_000);
    expect(calls.filter((c) => c.startsWith("upload"))).toEqual([]);
  });

  it("ZPA refusing for good is shown (PublishFailed, ZPA's words); a retryable error is returned to the queue", async () => {
    const f = certificateFixture({ spec, status: issued });
    withTlsSecret(f);
    const refused = store({
      upload: async () => {
        throw new VendorError({ kind: "invalid", vendor: "zpa", operation: "uploadCertificate", message: "certificate chain is invalid", httpStatus: 400 });
      },
    });
    const out = await publishZpa(f.ctx, ports(f, refused.s), issued, 1);
    expect(published(out.status)).toMatchObject({
      status: "False",
      reason: "PublishFailed",
      message: "ZPA uploadCertificate failed (invalid): certificate chain is invalid",
    });
    const busy = store({
      upload: async () => {
        throw new VendorError({ kind: "transient", vendor: "zpa", operation: "uploadCertificate", message: "503", httpStatus: 503 });
      },
    });
    await expect(publishZpa(f.ctx, ports(f, busy.s), issued, 1)).rejects.toThrow(/503/);
  });

  it("names: the spec's base or <namespace>-<name>, then -r<revision>", () => {
    expect(zpaCertificateName(undefined, "ns", "web", 3)).toBe("ns-web-r3");
    expect(zpaCertificateName("edge", "ns", "web", 3)).toBe("edge-r3");
  });
});

describe("unpublishZpa (delete)", () => {
  const recorded: Status = { ...issued, publish: { zpa: { certificateId: "z-2", name: "ns-web-r2", serialNumber: "0a" } } };

  it("the copy holding the key is deleted with the resource (purpose cleanup)", async () => {
    const f = certificateFixture({ spec, status: recorded });
    const { s, calls } = store();
    await unpublishZpa(f.ctx, ports(f, s), recorded, (e) => f.events.push(e));
    expect(calls).toEqual(["delete z-2 mt-1"]);
  });

  it("without the ZPA connection an Event says what is left; a final refusal is logged and deletion goes on; a retryable one is returned", async () => {
    const f = certificateFixture({ spec, status: recorded });
    await unpublishZpa(f.ctx, ports(f, store().s, "missing"), recorded, (e) => f.events.push(e));
    expect(f.events).toEqual([expect.objectContaining({ type: "Warning", reason: "UnpublishSkipped" })]);
    await unpublishZpa(
      f.ctx,
      ports(
        f,
        store({
          delete: async () => {
            throw new VendorError({ kind: "notFound", vendor: "zpa", operation: "deleteCertificate", message: "gone", httpStatus: 404 });
          },
        }).s,
      ),
      recorded,
      () => {},
    );
    await expect(
      unpublishZpa(
        f.ctx,
        ports(
          f,
          store({
            delete: async () => {
              throw new VendorError({ kind: "rateLimited", vendor: "zpa", operation: "deleteCertificate", message: "slow down", httpStatus: 429 });
            },
          }).s,
        ),
        recorded,
        () => {},
      ),
    ).rejects.toThrow(/slow down/);
  });
});
