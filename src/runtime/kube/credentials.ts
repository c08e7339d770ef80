// Credentials from a kubeconfig (headers and a client certificate) kept between requests. Obtaining
// them may run an exec plugin or read files, so it happens once, again when they are a minute old
// (rotated files, expiring exec credentials), and at once after the server refused them (401).
import { type ClientCertificate, type KubeHeaders, TOKEN_REREAD_MS } from "./connection.ts";

export interface KubeCredentials {
  readonly headers: KubeHeaders;
  readonly clientCertificate?: ClientCertificate;
}

export interface CachedCredentialsOptions {
  /**
   * Obtains credentials. `fresh` asks to drop whatever the source caches itself (an exec plugin's
   * unexpired credential): the server has just refused it.
   */
  readonly obtain: (fresh: boolean) => Promise<KubeCredentials>;
  readonly now: () => number;
  /** A plugin that hangs would stall every request; client-go waits without limit, we give up. */
  readonly timeoutMs?: number;
  /** Names the source in the timeout error (never credential content). */
  readonly describe: string;
}

interface Held {
  readonly credentials: KubeCredentials;
  readonly obtainedAt: number;
}

export class CachedCredentials {
  readonly #opts: CachedCredentialsOptions;
  #held: Held | undefined;
  #pending: Promise<KubeCredentials> | undefined;

  constructor(opts: CachedCredentialsOptions) {
    this.#opts = opts;
  }

  /** The held credentials; re-obtained when a minute old. A failed re-obtain keeps the last good ones (client-go does the same with token files). */
  current(): Promise<KubeCredentials> {
    const held = this.#held;
    if (held && this.#opts.now() - held.obtainedAt < TOKEN_REREAD_MS) return Promise.resolve(held.credentials);
    if (held) {
      return this.#obtain(false).catch(() => {
        // Keep serving what worked, and try again in a minute rather than on every request.
        this.#held = { credentials: held.credentials, obtainedAt: this.#opts.now() };
        return held.credentials;
      });
    }
    return this.#obtain(false);
  }

  /** After a 401 sent with `refused`: obtain afresh, unless another request already did. Failure is thrown. */
  async refresh(refused: KubeHeaders): Promise<void> {
    if (this.#pending) await this.#pending.catch(() => {});
    const held = this.#held;
    if (held && !sameHeaders(held.credentials.headers, refused)) return;
    await this.#obtain(true);
  }

  #obtain(fresh: boolean): Promise<KubeCredentials> {
    this.#pending ??= withTimeout(this.#opts.obtain(fresh), this.#opts.timeoutMs ?? 60_000, this.#opts.describe)
      .then((credentials) => {
        this.#held = { credentials, obtainedAt: this.#opts.now() };
        return credentials;
      })
      .finally(() => {
        this.#pending = undefined;
      });
    return this.#pending;
  }
}

const sameHeaders = (a: KubeHeaders, b: KubeHeaders): boolean => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

function withTimeout<T>(work: Promise<T>, ms: number, describe: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${describe}: no credentials within ${ms / 1000} s`)), ms);
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
