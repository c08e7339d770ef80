// Bearer tokens the simulator hands out through /signin (legacy) or /oauth2/v1/token (OneAPI), with
// expiry, sign-out and a test hook that expires them all (a session ZPA no longer accepts).
import { randomBytes, timingSafeEqual } from "node:crypto";

export type SimCredential = { readonly clientId: string; readonly clientSecret: string };
type Session = { readonly clientId: string; readonly mode: "legacy" | "oneapi"; expiresAt: number };

const equal = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export class TokenStore {
  readonly #credentials: readonly SimCredential[];
  readonly #sessions = new Map<string, Session>();
  readonly #now: () => number;
  ttlSeconds: number;
  issued = { legacy: 0, oneapi: 0 };
  rejectedSignins = 0;

  constructor(credentials: readonly SimCredential[], now: () => number, ttlSeconds: number) {
    this.#credentials = credentials;
    this.#now = now;
    this.ttlSeconds = ttlSeconds;
  }

  issue(clientId: string | undefined, clientSecret: string | undefined, mode: "legacy" | "oneapi"): string | undefined {
    const ok = this.#credentials.some(
      (c) => clientId !== undefined && clientSecret !== undefined && equal(c.clientId, clientId) && equal(c.clientSecret, clientSecret),
    );
    if (!ok) {
      this.rejectedSignins += 1;
      return undefined;
    }
    // JWT-looking, opaque to clients.
    const token = `eyJhbGciOiJSUzI1NiJ9.${randomBytes(24).toString("base64url")}.${randomBytes(32).toString("base64url")}`;
    this.#sessions.set(token, { clientId: clientId!, mode, expiresAt: this.#now() + this.ttlSeconds * 1000 });
    this.issued[mode] += 1;
    return token;
  }

  /** The session behind an `Authorization` header, if it is a live token of the right mode. */
  check(authorization: string | undefined, mode: "legacy" | "oneapi"): Session | undefined {
    const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? "");
    if (m === null) return undefined;
    const s = this.#sessions.get(m[1]!);
    if (s === undefined || s.mode !== mode) return undefined;
    if (this.#now() >= s.expiresAt) {
      this.#sessions.delete(m[1]!);
      return undefined;
    }
    return s;
  }

  revoke(authorization: string | undefined): boolean {
    const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? "");
    return m !== null && this.#sessions.delete(m[1]!);
  }

  resetCounters(): void {
    this.issued = { legacy: 0, oneapi: 0 };
    this.rejectedSignins = 0;
  }

  expireAll(): number {
    const n = this.#sessions.size;
    this.#sessions.clear();
    return n;
  }

  get live(): number {
    return this.#sessions.size;
  }
}
