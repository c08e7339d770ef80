import { describe, expect, it } from "vitest";
import { buildOwnedSecret, classifySecret, contentHash, ownerKeyOf, secretUpToDate, type Secret, type SecretOwner } from "./owned-secret.ts";

const owner: SecretOwner = { kind: "ManagedCertificate", namespace: "apps", name: "web", uid: "uid-1" };
const desired = buildOwnedSecret(owner, {
  name: "web-tls",
  type: "kubernetes.io/tls",
  data: { "tls.crt": "Y2VydA==", "tls.key": "a2V5" },
  ownerReference: true,
  template: { labels: { team: "a" } },
});

describe("classifySecret", () => {
  it.each([
    { secret: undefined, expected: "absent", why: "nothing there yet" },
    { secret: desired, expected: "ours", why: "labels name exactly this owner" },
    { secret: { metadata: { name: "web-tls", namespace: "apps" } }, expected: "foreign", why: "an unlabelled Secret someone else made" },
    {
      secret: buildOwnedSecret({ ...owner, uid: "uid-old" }, { name: "web-tls", type: "Opaque", data: {}, ownerReference: false }),
      expected: "foreign",
      why: "a same-named resource that was deleted and re-created is another owner",
    },
    {
      secret: buildOwnedSecret({ ...owner, name: "other" }, { name: "web-tls", type: "Opaque", data: {}, ownerReference: false }),
      expected: "foreign",
      why: "two resources naming one Secret: the second never takes it",
    },
    {
      secret: buildOwnedSecret({ ...owner, kind: "ProvisioningKey" }, { name: "web-tls", type: "Opaque", data: {}, ownerReference: false }),
      expected: "foreign",
      why: "another kind's Secret",
    },
  ] as Array<{ secret: Secret | undefined; expected: string; why: string }>)("$why → $expected", ({ secret, expected }) => {
    expect(classifySecret(secret, owner)).toBe(expected);
  });
});

describe("secretUpToDate", () => {
  const changed = (f: (s: Secret) => void): Secret => {
    const s = structuredClone(desired);
    f(s);
    return s;
  };
  it.each([
    { current: desired, expected: true, why: "identical" },
    {
      current: changed((s) => {
        s.metadata.labels = { ...s.metadata.labels, extra: "x" };
      }),
      expected: true,
      why: "labels added by others do not matter",
    },
    {
      current: changed((s) => {
        s.data = { ...s.data, "tls.crt": "b3RoZXI=" };
      }),
      expected: false,
      why: "data differs",
    },
    {
      current: changed((s) => {
        s.data = { ...s.data, extra: "eA==" };
      }),
      expected: false,
      why: "an extra data key",
    },
    {
      current: changed((s) => {
        s.type = "Opaque";
      }),
      expected: false,
      why: "type differs",
    },
    {
      current: changed((s) => {
        delete s.metadata.ownerReferences;
      }),
      expected: false,
      why: "ownerReference missing",
    },
    {
      current: changed((s) => {
        s.metadata.labels = { ...s.metadata.labels, team: "b" };
      }),
      expected: false,
      why: "a template label changed",
    },
  ])("$why → $expected", ({ current, expected }) => {
    expect(secretUpToDate(current, desired)).toBe(expected);
  });
});

describe("contentHash and ownerKeyOf", () => {
  it("hashes independent of key order and changes with content", () => {
    expect(contentHash({ a: "1", b: "2" })).toBe(contentHash({ b: "2", a: "1" }));
    expect(contentHash({ a: "1" })).not.toBe(contentHash({ a: "2" }));
    expect(desired.metadata.annotations?.["certbridge.dev/content-hash"]).toBe(contentHash(desired.data ?? {}));
  });
  it("maps an owned Secret to its owner's key, only for the asked kind", () => {
    expect(ownerKeyOf(desired, "ManagedCertificate")).toBe("apps/web");
    expect(ownerKeyOf(desired, "ProvisioningKey")).toBeUndefined();
    expect(ownerKeyOf({ metadata: { name: "x", namespace: "apps" } }, "ManagedCertificate")).toBeUndefined();
  });
});
