// Bearer tokens for ZPA: the legacy `POST /signin` (form client_id/client_secret, `expires_in` as a
// string) or the OneAPI client-credentials grant. One token per connection, fetched once however many
// callers ask at the same time, refreshed before it expires, and dropped when ZPA says it is invalid.
import type { Dispatcher } from "undici";
import { systemClock, type Clock } from "../shared/clock.ts";
import { VendorHttp } from "../shared/http.ts";
import { ignoredBody } from "../shared/wire.ts";
import { classifyZpa } from "./errors.ts";
import { oauthTokenSchema, signinSchema } from "./wire.ts";

export const ONEAPI_AUDIENCE = "https://api.zscaler.com";
const DEFAULT_TTL_S = 3600;

export type ZpaAuth =
  | {
      readonly mode: "legacy";
      readonly clientId: string;
      readonly clientSecret: string;
    }
  | {
      readonly mode: "oneapi";
      readonly clientId: string;
      readonly clientSecret: string;
      /** The identity host (`https://<vanity>.<identity domain>`); the token path is fixed. */
      readonly identityBaseUrl: string;
      readonly audience?: string;
    };

export interface TokenSourceOptions {
  readonly auth: ZpaAuth;
  /** Legacy mode signs in against the API base URL. */
  readonly apiBaseUrl: string;
  readonly dispatcher?: Dispatcher;
  readonly clock?: Clock;
  readonly timeoutMs?: number;
}

type Token = { readonly value: string; readonly expiresAt: number; readonly refreshAt: number };

export class ZpaTokenSource {
  readonly #auth: ZpaAuth;
  readonly #http: VendorHttp;
  readonly #clock: Clock;
  #token: Token | undefined;
  #inflight: Promise<Token> | undefined;
  #fetches = 0;

  constructor(opts: TokenSourceOptions) {
    this.#auth = opts.auth;
    this.#clock = opts.clock ?? systemClock;
    const baseUrl = opts.auth.mode === "legacy" ? opts.apiBaseUrl : opts.auth.identityBaseUrl;
    this.#http = new VendorHttp({
      vendor: "zpa",
      baseUrl,
      classify: classifyZpa,
      clock: this.#clock,
      ...(opts.dispatcher === undefined ? {} : { dispatcher: opts.dispatcher }),
      ...(opts.timeoutMs === undefined ? {} : { defaultTimeoutMs: opts.timeoutMs }),
    });
  }

  /** How many times a token was requested from ZPA (tests assert caching with it). */
  get fetchCount(): number {
    return this.#fetches;
  }

  async headers(signal: AbortSignal): Promise<Record<string, string>> {
    const t = await this.token(signal);
    return { authorization: `Bearer ${t}` };
  }

  async token(signal: AbortSignal): Promise<string> {
    const now = this.#clock.now();
    if (this.#token !== undefined && now < this.#token.refreshAt) return this.#token.value;
    // One sign-in for every concurrent caller. The shared promise is not tied to any one caller's
    // signal, so one caller giving up does not fail the others.
    this.#inflight ??= this.#fetch().finally(() => {
      this.#inflight = undefined;
    });
    const t = await raceAbort(this.#inflight, signal);
    return t.value;
  }

  /** Forget the token if it is still the one ZPA rejected (a newer one may already be in use). */
  invalidate(rejected?: string): void {
    if (rejected === undefined || this.#token?.value === rejected) this.#token = undefined;
  }

  current(): string | undefined {
    return this.#token?.value;
  }

  /** Legacy mode: end the session on ZPA (`POST /signout`). OneAPI tokens simply expire. */
  async signOut(signal?: AbortSignal): Promise<void> {
    const token = this.#token?.value;
    this.#token = undefined;
    if (token === undefined || this.#auth.mode !== "legacy") return;
    await this.#http.request({
      operation: "signout",
      method: "POST",
      path: "/signout",
      headers: { authorization: `Bearer ${token}` },
      schema: ignoredBody,
      ...(signal === undefined ? {} : { signal }),
    });
  }

  async #fetch(): Promise<Token> {
    this.#fetches += 1;
    const a = this.#auth;
    const signal = AbortSignal.timeout(30_000);
    const res =
      a.mode === "legacy"
        ? await this.#http.request({
            operation: "signin",
            method: "POST",
            path: "/signin",
            form: { client_id: a.clientId, client_secret: a.clientSecret },
            schema: signinSchema,
            signal,
          })
        : await this.#http.request({
            operation: "oauthToken",
            method: "POST",
            path: "/oauth2/v1/token",
            form: {
              grant_type: "client_credentials",
              client_id: a.clientId,
              client_secret: a.clientSecret,
              audience: a.audience ?? ONEAPI_AUDIENCE,
            },
            schema: oauthTokenSchema,
            signal,
          });
    const ttlMs = Math.max(1, res.data.expires_in ?? DEFAULT_TTL_S) * 1000;
    const now = this.#clock.now();
    // Refresh a little early: a tenth of the lifetime, at most five minutes.
    const margin = Math.min(ttlMs / 10, 300_000);
    const token: Token = { value: res.data.access_token, expiresAt: now + ttlMs, refreshAt: now + ttlMs - margin };
    this.#token = token;
    return token;
  }
}

function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}
