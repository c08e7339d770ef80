import { describe, expect, it } from "vitest";
import { TOKEN_REREAD_MS } from "./connection.ts";
import { CachedCredentials, type KubeCredentials } from "./credentials.ts";

/** A source handing out token-1, token-2, … and recording whether each call asked for fresh credentials. */
function source(opts: { failOn?: number[]; hang?: boolean } = {}) {
  const calls: boolean[] = [];
  let now = 1_000_000;
  const cache = new CachedCredentials({
    now: () => now,
    describe: "test source",
    timeoutMs: 50,
    obtain: async (fresh): Promise<KubeCredentials> => {
      calls.push(fresh);
      await Promise.resolve();
      if (opts.hang) return new Promise(() => {});
      if (opts.failOn?.includes(calls.length)) throw new Error(`run ${calls.length} failed`);
      return { headers: { authorization: `Bearer token-${calls.length}` } };
    },
  });
  return {
    cache,
    calls,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const token = async (cache: CachedCredentials) => (await cache.current()).headers.authorization;

describe("CachedCredentials", () => {
  it("obtains once for concurrent callers and keeps the result for a minute", async () => {
    const { cache, calls, advance } = source();
    expect(await Promise.all([token(cache), token(cache)])).toEqual(["Bearer token-1", "Bearer token-1"]);
    advance(TOKEN_REREAD_MS - 1);
    expect(await token(cache)).toBe("Bearer token-1");
    advance(1);
    expect(await token(cache), "a minute old: obtained again (not fresh: the source may keep an unexpired credential)").toBe("Bearer token-2");
    expect(calls).toEqual([false, false]);
  });

  it("a first failure is thrown and not kept; a failed re-obtain keeps the last good credentials for another minute", async () => {
    const { cache, calls, advance } = source({ failOn: [1, 3] });
    await expect(cache.current()).rejects.toThrow(/run 1 failed/);
    expect(await token(cache)).toBe("Bearer token-2");
    advance(TOKEN_REREAD_MS);
    expect(await token(cache), "run 3 failed: the last good token is still used").toBe("Bearer token-2");
    expect(await token(cache), "and not tried on every request").toBe("Bearer token-2");
    expect(calls.length).toBe(3);
    advance(TOKEN_REREAD_MS);
    expect(await token(cache)).toBe("Bearer token-4");
  });

  it("refresh after a 401 obtains fresh credentials once, however many requests were refused", async () => {
    const { cache, calls } = source();
    const refused = (await cache.current()).headers;
    await Promise.all([cache.refresh(refused), cache.refresh(refused), cache.refresh(refused)]);
    expect(await token(cache)).toBe("Bearer token-2");
    expect(calls).toEqual([false, true]);
    await cache.refresh(refused);
    expect(calls.length, "credentials already replaced: a late 401 for the old ones changes nothing").toBe(2);
  });

  it("a refresh that fails is thrown to the request that needed it", async () => {
    const { cache } = source({ failOn: [2] });
    const refused = (await cache.current()).headers;
    await expect(cache.refresh(refused)).rejects.toThrow(/run 2 failed/);
  });

  it("a source that never answers times out with a message naming the source", async () => {
    const { cache } = source({ hang: true });
    await expect(cache.current()).rejects.toThrow(/test source: no credentials within 0\.05 s/);
  });
});
