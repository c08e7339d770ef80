// The Secrets of an earlier spec.secretName, over FakeKubeApi: only this resource's TLS Secrets go,
// only once the certificate is in the new one, and a crash between deletion and the status write
// is finished by the next pass. The same on the real API server: test/integration/loose-ends.test.ts.
import { describe, expect, it } from "vitest";
import { core } from "../../runtime/kube/resource.ts";
import { KubeApiError } from "../../runtime/kube/errors.ts";
import { buildOwnedSecret, type Secret, type SecretOwner } from "../shared/owned-secret.ts";
import { settledSecretName } from "./secret-cleanup.ts";
import { TLS_SECRET_TYPE } from "./secret.ts";
import { certificateFixture } from "./testing.ts";

const me: SecretOwner = { kind: "ManagedCertificate", namespace: "ns", name: "web", uid: "0000-web" };
const tls = (name: string, owner: SecretOwner = me): Secret =>
  buildOwnedSecret(owner, { name, type: TLS_SECRET_TYPE, data: { "tls.crt": "Y3J0", "tls.key": "a2V5" }, ownerReference: false });

/** A resource whose spec now names web-tls, with status still on old-tls, and every kind of Secret around it. */
function renamed(opts: { newWritten?: boolean } = {}) {
  const f = certificateFixture({ status: { revision: 1, serialNumber: "0a", secretName: "old-tls" } });
  f.api.seed(
    core.secrets,
    tls("old-tls"),
    tls("third-tls"), // left by a second rename around a crash: ours too
    buildOwnedSecret(me, { name: "web-certbridge-key", type: "Opaque", data: { "tls.key": "a2V5" }, ownerReference: false }),
    tls("namesake-tls", { ...me, uid: "1111-earlier-incarnation" }),
    { metadata: { name: "user-tls", namespace: "ns", labels: { app: "x" } }, type: TLS_SECRET_TYPE, data: {} } as Secret,
    ...(opts.newWritten === false ? [] : [tls("web-tls")]),
  );
  return f;
}
const names = (f: ReturnType<typeof certificateFixture>) =>
  f.api.store
    .all<Secret>(core.secrets, "ns")
    .map((s) => s.metadata.name)
    .sort();

describe("the Secrets of an earlier spec.secretName", () => {
  it("go once the certificate is in the new Secret: only this resource's TLS Secrets, with an Event each", async () => {
    const f = renamed();
    expect(await settledSecretName(f.ctx, { client: f.api, secrets: { get: () => undefined } }, f.port)).toBe("web-tls");
    expect(names(f)).toEqual(["namesake-tls", "user-tls", "web-certbridge-key", "web-tls"]);
    expect(f.events.filter((e) => e.reason === "SecretMoved").map((e) => e.note)).toEqual([
      "Deleted Secret old-tls: the certificate is now in Secret web-tls (spec.secretName changed).",
      "Deleted Secret third-tls: the certificate is now in Secret web-tls (spec.secretName changed).",
    ]);
  });

  it("stay while the new Secret is not there yet, and status keeps the earlier name to look again", async () => {
    const f = renamed({ newWritten: false });
    expect(await settledSecretName(f.ctx, { client: f.api, secrets: { get: () => undefined } }, f.port)).toBe("old-tls");
    expect(names(f)).toContain("old-tls");
    expect(f.api.writes).toEqual([]);
  });

  it("a crash during the deletion leaves the earlier name in status; the next pass finishes, the new Secret untouched", async () => {
    const f = renamed();
    const io = { client: f.api, secrets: { get: () => undefined } };
    f.api.failOn({ method: "delete", name: "third-tls" }, new Error("killed"));
    await expect(settledSecretName(f.ctx, io, f.port)).rejects.toThrow("killed");
    expect(names(f)).toContain("third-tls");
    expect(f.port.status.secretName).toBe("old-tls");
    // old-tls is already gone: the next pass gets 404 for nothing, deletes the rest, and only then settles.
    expect(await settledSecretName(f.ctx, io, f.port)).toBe("web-tls");
    expect(names(f)).toEqual(["namesake-tls", "user-tls", "web-certbridge-key", "web-tls"]);
  });

  it("a Secret deleted by someone else meanwhile (404) is as good as deleted", async () => {
    const f = renamed();
    f.api.failOn(
      { method: "delete", name: "old-tls" },
      new KubeApiError({ status: 404, reason: "NotFound", message: "gone", method: "DELETE", path: "old-tls" }),
    );
    expect(await settledSecretName(f.ctx, { client: f.api, secrets: { get: () => undefined } }, f.port)).toBe("web-tls");
  });

  it("no rename: no call at all", async () => {
    const f = certificateFixture({ status: { revision: 1, serialNumber: "0a", secretName: "web-tls" } });
    expect(await settledSecretName(f.ctx, { client: f.api, secrets: { get: () => undefined } }, f.port)).toBe("web-tls");
    expect(f.api.calls).toEqual([]);
  });
});
