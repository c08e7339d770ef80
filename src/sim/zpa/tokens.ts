// Bearer tokens the simulator hands out through /signin (legacy) or /oauth2/v1/token (OneAPI), with
// expiry, sign-out and a test hook that expires them all (a session ZPA no longer accepts).
//
// The tokens are real JWTs (header.payload.signature, base64url JSON) because the official clients
// read them: zscaler-sdk-go utils/utils.go IsTokenExpired and zscaler-sdk-python zscaler/utils.py
// is_token_expired decode the payload and reuse the token until `exp` - 10 s; a token they cannot
// decode counts as expired, so every call would sign in again. Claim names other than exp/iat are
// not documented (inf); the OneAPI token names the audience the client asked for.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

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
  /** Signs the simulator's JWTs (HS256); a token with a bad signature is never a session. */
  readonly #key = randomBytes(32);
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
    const expiresAt = this.#now() + this.ttlSeconds * 1000;
    const token = this.#jwt(clientId!, mode, expiresAt);
    this.#sessions.set(token, { clientId: clientId!, mode, expiresAt });
    this.issued[mode] += 1;
    return token;
  }

  #jwt(clientId: string, mode: "legacy" | "oneapi", expiresAt: number): string {
    const iat = Math.floor(this.#now() / 1000);
    const claims = {
      iss: mode === "oneapi" ? "zpa-sim/oauth2" : "zpa-sim",
      sub: clientId,
      ...(mode === "oneapi" ? { aud: "https://api.zscaler.com" } : {}),
      iat,
      nbf: iat,
      exp: Math.floor(expiresAt / 1000),
      jti: randomBytes(12).toString("hex"),
    };
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const signingInput = `${part({ alg: "HS256", typ: "JWT" })}.${part(claims)}`;
    return `${signingInput}.${createHmac("sha256", this.#key).update(signingInput).digest("base64url")}`;
  }

  #signatureValid(token: string): boolean {
    const dot = token.lastIndexOf(".");
    if (dot < 0) return false;
    return equal(token.slice(dot + 1), createHmac("sha256", this.#key).update(token.slice(0, dot)).digest("base64url"));
  }

  /** The session behind an `Authorization` header, if it is a live token of the right mode. */
  check(authorization: string | undefined, mode: "legacy" | "oneapi"): Session | undefined {
    const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? "");
    if (m === null) return undefined;
    if (!this.#signatureValid(m[1]!)) return undefined;
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
