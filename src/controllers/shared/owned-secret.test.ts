import { describe, expect, it } from "vitest";
import { FakeKubeApi } from "../../runtime/kube/fake.ts";
import { core } from "../../runtime/kube/resource.ts";
import {
  buildOwnedSecret,
  classifySecret,
  contentHash,
  dataHashOf,
  dataKeysOf,
  digestOwnedSecret,
  hasData,
  hasDataValue,
  ownerKeyOf,
  secretUpToDate,
  writeOwnedSecret,
  type Secret,
  type SecretOwner,
} from "./owned-secret.ts";

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

describe("digested Secrets (what the owned-Secret cache keeps: no data)", () => {
  const facts = (s: { data?: Readonly<Record<string, string>> }) => ({ keys: Object.keys(s.data ?? {}).length });
  const cached = digestOwnedSecret(desired, new Map([["ManagedCertificate", facts]]));

  it("drops the data, keeps each key's size, the content hash and the owner kind's facts", () => {
    expect(cached.data).toBeUndefined();
    expect(cached.digest).toEqual({ sizes: { "tls.crt": 8, "tls.key": 4 }, hash: contentHash(desired.data ?? {}), facts: { keys: 2 } });
    expect(cached.metadata).toEqual(desired.metadata);
    expect(digestOwnedSecret(cached, new Map())).toBe(cached); // a cached copy digested again is unchanged
  });

  it("facts that throw are left out, never failing the cache", () => {
    const broken = digestOwnedSecret(desired, new Map([["ManagedCertificate", () => JSON.parse("{")]]));
    expect(broken.digest).toMatchObject({ hash: contentHash(desired.data ?? {}) });
    expect(broken.digest?.facts).toBeUndefined();
  });

  it("answers from data or digest alike: keys, non-empty values, hash, up to date", () => {
    for (const s of [desired, cached]) {
      expect(dataKeysOf(s).sort()).toEqual(["tls.crt", "tls.key"]);
      expect(hasDataValue(s, "tls.key")).toBe(true);
      expect(hasDataValue(s, "ca.crt")).toBe(false);
      expect(dataHashOf(s)).toBe(contentHash(desired.data ?? {}));
      expect(secretUpToDate(s, desired)).toBe(true);
    }
    expect(hasData(desired)).toBe(true);
    expect(hasData(cached)).toBe(false);
    const edited = buildOwnedSecret(owner, {
      name: "web-tls",
      type: "kubernetes.io/tls",
      data: { "tls.crt": "b3RoZXI=", "tls.key": "a2V5" },
      ownerReference: true,
    });
    expect(secretUpToDate(cached, edited)).toBe(false);
  });
});

describe("writeOwnedSecret judged on a cached copy", () => {
  const v2 = buildOwnedSecret(owner, { name: "web-tls", type: "kubernetes.io/tls", data: { "tls.crt": "djI=", "tls.key": "a2V5" }, ownerReference: true });
  const secretCalls = (api: FakeKubeApi) => api.calls.filter((c) => c.plural === "secrets").map((c) => c.method);

  it.each([
    {
      why: "absent in the cache and on the server: one create, no read",
      seed: undefined,
      cache: "none",
      want: "created",
      calls: ["create"],
    },
    {
      why: "cached and current: one guarded apply, no read",
      seed: desired,
      cache: "current",
      want: "updated",
      calls: ["apply"],
    },
    {
      why: "cached and already up to date: nothing at all",
      seed: v2,
      cache: "current",
      want: "unchanged",
      calls: [],
    },
    {
      why: "the cache missed our earlier create: AlreadyExists, one read, then a guarded apply",
      seed: desired,
      cache: "none",
      want: "updated",
      calls: ["create", "get", "apply"],
    },
    {
      why: "the cache is behind a change: 409, one read, then an apply on what it saw",
      seed: desired,
      cache: "stale",
      want: "updated",
      calls: ["apply", "get", "apply"],
    },
    {
      why: "a foreign Secret made since the cache looked: AlreadyExists, one read, left alone",
      seed: { metadata: { name: "web-tls", namespace: "apps" }, type: "Opaque", data: { mine: "eA==" } },
      cache: "none",
      want: "conflict",
      calls: ["create", "get"],
    },
  ] as Array<{ why: string; seed: Secret | undefined; cache: "none" | "current" | "stale"; want: string; calls: string[] }>)(
    "$why",
    async ({ seed, cache, want, calls }) => {
      const api = new FakeKubeApi();
      let cachedCopy: Secret | undefined;
      if (seed !== undefined) {
        const [stored] = api.seed(core.secrets, structuredClone(seed));
        cachedCopy = digestOwnedSecret(stored!, new Map());
        if (cache === "stale") await api.as("someone").mergePatch(core.secrets, "apps", "web-tls", { metadata: { annotations: { touched: "yes" } } });
      }
      const result = await writeOwnedSecret(api, owner, v2, cache === "none" ? undefined : cachedCopy);
      expect(result).toBe(want);
      expect(secretCalls(api)).toEqual(calls);
      const stored = api.peek<Secret>(core.secrets, "apps", "web-tls");
      if (want === "conflict") expect(stored?.data).toEqual({ mine: "eA==" });
      else expect(stored?.data).toEqual(v2.data);
    },
  );
});
