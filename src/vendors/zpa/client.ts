// The ZPA client: provisioning keys, enrollment certificates, browser-access certificates, the group
// lookups the key flow needs, and the application segments that serve browser-access certificates. Every call goes through one VendorHttp (limiter, timeouts, typed
// errors), carries a cached bearer token and is re-authenticated once when ZPA rejects the session.
import type { Dispatcher } from "undici";
import { z } from "zod";
import { systemClock, type Clock } from "../shared/clock.ts";
import { isVendorError, VendorError } from "../shared/errors.ts";
import { VendorHttp, type AttemptEvent, type HttpMethod } from "../shared/http.ts";
import { RateLimiter, type RateLimiterRegistry, type RateLimitRule } from "../shared/rate-limiter.ts";
import { ignoredBody } from "../shared/wire.ts";
import { ZpaTokenSource, type ZpaAuth } from "./auth.ts";
import { classifyZpa } from "./errors.ts";
import { zpaLimiterKey, zpaRateLimitRules } from "./limits.ts";
import { zpaPaths } from "./paths.ts";
import {
  appByTypeSchema,
  applicationSegmentSchema,
  certificateSchema,
  enrollmentCertSchema,
  groupSchema,
  jsonObjectSchema,
  pageSchema,
  provisioningKeyPayload,
  provisioningKeySchema,
  type AppByType,
  type ApplicationSegment,
  type AssociationType,
  type Certificate,
  type CertificateInput,
  type EnrollmentCert,
  type Group,
  type JsonObject,
  type ProvisioningKey,
  type ProvisioningKeyInput,
} from "./wire.ts";

export const MAX_PAGE_SIZE = 500;
const NEVER_ABORTED = new AbortController().signal;
/** 500 pages of 500 is far beyond any tenant; a larger totalPages is a hostile or broken answer. */
const MAX_PAGES = 500;

export interface ZpaClientOptions {
  /** Legacy: the cloud's config host. OneAPI: the API gateway host (paths get the /zpa prefix). */
  readonly baseUrl: string;
  readonly customerId: string;
  readonly auth: ZpaAuth;
  /** Sent on every call when set ("0" = Default microtenant). */
  readonly microtenantId?: string;
  readonly dispatcher?: Dispatcher;
  readonly clock?: Clock;
  /** Shared per-credential limiters; without one the client keeps a private limiter. */
  readonly limiters?: RateLimiterRegistry;
  readonly limiter?: RateLimiter;
  /** Override the 80 % budget (tests with a shortened window); buckets "read" and "write". */
  readonly rateLimitRules?: Record<string, RateLimitRule>;
  readonly pageSize?: number;
  readonly timeoutMs?: number;
  readonly maxResponseBytes?: number;
  readonly maxAttempts?: number;
  readonly maxRetryAfterMs?: number;
  readonly backoffBaseMs?: number;
  readonly onAttempt?: (e: AttemptEvent) => void;
}

export type CallOptions = { readonly signal?: AbortSignal; readonly microtenantId?: string };
export type ListOptions = CallOptions & { readonly search?: string };

/**
 * ZPA's search grammar is `<field> <op> <value>`: one space or one `+` between the parts (after the
 * query string is form-decoded) and the rest of the string as the value. We build the `+` form the
 * official SDKs send, so the bytes on the wire are the recorded ones: the query encoder turns it into
 * `search=name%2BEQ%2BService+Edge`, which real ZPA answered with the "Service Edge" certificate
 * (zscaler/zscaler-sdk-python, tests/integration/zpa/cassettes/TestServiceEdgeGroupProvisioningKey.yaml;
 * the same conversion in zscaler-sdk-go zpa/services/common/common.go, convertZPASearchToFilter).
 * Nothing is quoted. Use it for lookups only through exactLookup below.
 */
export const search = {
  eq: (field: string, value: string | number | boolean) => `${field}+EQ+${String(value)}`,
  like: (field: string, value: string) => `${field}+LIKE+${value}`,
} as const;

/**
 * Names whose EQ search traffic shows to be exact enough to trust for "does it exist": letters,
 * digits, '.', '_' and '-', with single spaces between words (recorded searches: "Service Edge",
 * "tests-appsegment-vcr0006.bd-redhat.com"; the SDKs strip every other character before searching).
 * Anything else ('+', '%', '&', quotes, unicode, leading/trailing or doubled blanks) has no evidence
 * of how ZPA's filter treats it, and a lookup that misses an existing object makes a duplicate, so
 * those names are found by listing every page and comparing here.
 */
const SEARCHABLE_NAME = /^[A-Za-z0-9._-]+(?: [A-Za-z0-9._-]+)*$/;
export function nameIsSearchable(name: string): boolean {
  return name.length <= 255 && SEARCHABLE_NAME.test(name);
}

type Sent = { readonly method: HttpMethod; readonly path: string; readonly query?: Record<string, string | undefined> };

export class ZpaClient {
  readonly #http: VendorHttp;
  readonly #tokens: ZpaTokenSource;
  readonly #paths: ReturnType<typeof zpaPaths>;
  readonly #microtenantId: string | undefined;
  readonly #pageSize: number;
  readonly limiter: RateLimiter;

  constructor(opts: ZpaClientOptions) {
    const clock = opts.clock ?? systemClock;
    this.limiter =
      opts.limiter ??
      opts.limiters?.forCredential(zpaLimiterKey(opts.baseUrl, opts.customerId), opts.rateLimitRules ?? zpaRateLimitRules) ??
      new RateLimiter({ rules: opts.rateLimitRules ?? zpaRateLimitRules, clock });
    this.#tokens = new ZpaTokenSource({
      auth: opts.auth,
      apiBaseUrl: opts.baseUrl,
      clock,
      ...(opts.dispatcher === undefined ? {} : { dispatcher: opts.dispatcher }),
      ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
    });
    const limiter = this.limiter;
    this.#http = new VendorHttp({
      vendor: "zpa",
      baseUrl: opts.baseUrl,
      classify: classifyZpa,
      clock,
      limiter,
      requestIdHeaders: ["x-zscaler-request-id", "x-request-id", "request-id"],
      // A 429 means another process on the same tenant spent the budget: hold every bucket.
      onVendorError: (e) => {
        if (e.kind === "rateLimited") limiter.pauseFor(e.retryAfterMs ?? 10_000);
      },
      ...(opts.dispatcher === undefined ? {} : { dispatcher: opts.dispatcher }),
      ...(opts.timeoutMs === undefined ? {} : { defaultTimeoutMs: opts.timeoutMs }),
      ...(opts.maxResponseBytes === undefined ? {} : { maxResponseBytes: opts.maxResponseBytes }),
      ...(opts.maxAttempts === undefined ? {} : { maxAttempts: opts.maxAttempts }),
      ...(opts.maxRetryAfterMs === undefined ? {} : { maxRetryAfterMs: opts.maxRetryAfterMs }),
      ...(opts.backoffBaseMs === undefined ? {} : { backoffBaseMs: opts.backoffBaseMs }),
      ...(opts.onAttempt === undefined ? {} : { onAttempt: opts.onAttempt }),
    });
    this.#paths = zpaPaths(opts.auth.mode === "oneapi" ? "/zpa" : "", opts.customerId);
    this.#microtenantId = opts.microtenantId;
    this.#pageSize = Math.min(Math.max(1, opts.pageSize ?? MAX_PAGE_SIZE), MAX_PAGE_SIZE);
  }

  /** End the ZPA session (legacy sign-in only); the next call signs in again. */
  signOut(o: { readonly signal?: AbortSignal } = {}): Promise<void> {
    return this.#tokens.signOut(o.signal);
  }

  /** Sign-ins performed so far (the token is cached per connection). */
  get tokenFetches(): number {
    return this.#tokens.fetchCount;
  }

  // ---------------------------------------------------------------- provisioning keys

  listProvisioningKeys(type: AssociationType, o: ListOptions = {}): Promise<ProvisioningKey[]> {
    return this.#listAll(`listProvisioningKeys`, this.#paths.provisioningKeys(type), provisioningKeySchema, o);
  }

  /** Exact-name lookup for any name (see exactLookup): never misses an existing key. */
  findProvisioningKeyByName(type: AssociationType, name: string, o: CallOptions = {}): Promise<ProvisioningKey | undefined> {
    return exactLookup(name, (l) => this.listProvisioningKeys(type, { ...o, ...l }));
  }

  getProvisioningKey(type: AssociationType, id: string, o: CallOptions = {}): Promise<ProvisioningKey> {
    return this.#call("getProvisioningKey", { method: "GET", path: this.#paths.provisioningKey(type, id) }, provisioningKeySchema, o);
  }

  /** Answers 201 with the key value. Not retried by the transport: a retry could create a second key. */
  createProvisioningKey(type: AssociationType, input: ProvisioningKeyInput, o: CallOptions = {}): Promise<ProvisioningKey> {
    return this.#call("createProvisioningKey", { method: "POST", path: this.#paths.provisioningKeys(type) }, provisioningKeySchema, o, {
      json: provisioningKeyPayload(input),
      expectStatus: [201, 200],
    });
  }

  /** PUT takes the full payload (as create) and answers 204. */
  async updateProvisioningKey(type: AssociationType, id: string, input: ProvisioningKeyInput, o: CallOptions = {}): Promise<void> {
    await this.#call("updateProvisioningKey", { method: "PUT", path: this.#paths.provisioningKey(type, id) }, ignoredBody, o, {
      json: provisioningKeyPayload(input),
      expectStatus: [204, 200],
    });
  }

  /** Throws a notFound VendorError when the key is already gone; the caller decides if that is success. */
  async deleteProvisioningKey(type: AssociationType, id: string, o: CallOptions = {}): Promise<void> {
    await this.#call("deleteProvisioningKey", { method: "DELETE", path: this.#paths.provisioningKey(type, id) }, ignoredBody, o, {
      expectStatus: [204, 200],
    });
  }

  // ---------------------------------------------------------------- enrollment certificates

  listEnrollmentCerts(o: ListOptions = {}): Promise<EnrollmentCert[]> {
    return this.#listAll("listEnrollmentCerts", this.#paths.enrollmentCerts(), enrollmentCertSchema, { ...o, microtenantId: undefined });
  }

  /** The certificates usable for provisioning keys. */
  listSigningEnrollmentCerts(o: CallOptions = {}): Promise<EnrollmentCert[]> {
    return this.listEnrollmentCerts({ ...o, search: search.eq("privateKeyPresent", true) });
  }

  findEnrollmentCertByName(name: string, o: CallOptions = {}): Promise<EnrollmentCert | undefined> {
    return exactLookup(name, (l) => this.listEnrollmentCerts({ ...o, ...l }));
  }

  getEnrollmentCert(id: string, o: CallOptions = {}): Promise<EnrollmentCert> {
    return this.#call("getEnrollmentCert", { method: "GET", path: this.#paths.enrollmentCert(id) }, enrollmentCertSchema, {
      ...o,
      microtenantId: undefined,
    });
  }

  // ---------------------------------------------------------------- browser-access certificates

  listCertificates(o: ListOptions = {}): Promise<Certificate[]> {
    return this.#listAll("listCertificates", this.#paths.certificates(), certificateSchema, o);
  }

  listIssuedCertificates(o: CallOptions = {}): Promise<Certificate[]> {
    return this.#listAll("listIssuedCertificates", this.#paths.issuedCertificates(), certificateSchema, o);
  }

  /** Exact-name lookup for any name (see exactLookup): never misses an uploaded certificate. */
  findCertificateByName(name: string, o: CallOptions = {}): Promise<Certificate | undefined> {
    return exactLookup(name, (l) => this.listCertificates({ ...o, ...l }));
  }

  getCertificate(id: string, o: CallOptions = {}): Promise<Certificate> {
    return this.#call("getCertificate", { method: "GET", path: this.#paths.certificate(id) }, certificateSchema, o);
  }

  /** Uploads certificate + private key; answers 200 with what ZPA parsed (never the key). */
  createCertificate(input: CertificateInput, o: CallOptions = {}): Promise<Certificate> {
    const json = { certBlob: input.certBlob, name: input.name, ...(input.description === undefined ? {} : { description: input.description }) };
    return this.#call("createCertificate", { method: "POST", path: this.#paths.certificates() }, certificateSchema, o, {
      json,
      expectStatus: [200, 201],
    });
  }

  /** Only name and description can change. Answers 204 (the SDKs also accept 200). */
  async updateCertificate(id: string, input: { readonly name: string; readonly description?: string }, o: CallOptions = {}): Promise<void> {
    const json = { name: input.name, ...(input.description === undefined ? {} : { description: input.description }) };
    await this.#call("updateCertificate", { method: "PUT", path: this.#paths.certificate(id) }, ignoredBody, o, {
      json,
      expectStatus: [204, 200],
    });
  }

  async deleteCertificate(id: string, o: CallOptions = {}): Promise<void> {
    await this.#call("deleteCertificate", { method: "DELETE", path: this.#paths.certificate(id) }, ignoredBody, o, {
      expectStatus: [204, 200],
    });
  }

  // ---------------------------------------------------------------- groups

  listGroups(type: AssociationType, o: ListOptions = {}): Promise<Group[]> {
    const path = type === "CONNECTOR_GRP" ? this.#paths.connectorGroups() : this.#paths.serviceEdgeGroups();
    return this.#listAll(type === "CONNECTOR_GRP" ? "listConnectorGroups" : "listServiceEdgeGroups", path, groupSchema, o);
  }

  getGroup(type: AssociationType, id: string, o: CallOptions = {}): Promise<Group> {
    const path = type === "CONNECTOR_GRP" ? this.#paths.connectorGroup(id) : this.#paths.serviceEdgeGroup(id);
    return this.#call(type === "CONNECTOR_GRP" ? "getConnectorGroup" : "getServiceEdgeGroup", { method: "GET", path }, groupSchema, o);
  }

  /** Exact-name lookup for any name (see exactLookup). */
  findGroupByName(type: AssociationType, name: string, o: CallOptions = {}): Promise<Group | undefined> {
    return exactLookup(name, (l) => this.listGroups(type, { ...o, ...l }));
  }

  listConnectorGroups(o: ListOptions = {}): Promise<Group[]> {
    return this.listGroups("CONNECTOR_GRP", o);
  }
  listServiceEdgeGroups(o: ListOptions = {}): Promise<Group[]> {
    return this.listGroups("SERVICE_EDGE_GRP", o);
  }
  findConnectorGroupByName(name: string, o: CallOptions = {}): Promise<Group | undefined> {
    return this.findGroupByName("CONNECTOR_GRP", name, o);
  }
  findServiceEdgeGroupByName(name: string, o: CallOptions = {}): Promise<Group | undefined> {
    return this.findGroupByName("SERVICE_EDGE_GRP", name, o);
  }

  // ---------------------------------------------------------------- application segments

  /** Every segment (browser-access or not), all pages. */
  listApplications(o: ListOptions = {}): Promise<ApplicationSegment[]> {
    return this.#listAll("listApplications", this.#paths.applications(), applicationSegmentSchema, o);
  }

  findApplicationByName(name: string, o: CallOptions = {}): Promise<ApplicationSegment | undefined> {
    return exactLookup(name, (l) => this.listApplications({ ...o, ...l }));
  }

  getApplication(id: string, o: CallOptions = {}): Promise<ApplicationSegment> {
    return this.#call("getApplication", { method: "GET", path: this.#paths.application(id) }, applicationSegmentSchema, o);
  }

  /**
   * The segment exactly as ZPA sent it (every field, known or not) beside the parsed view: what a
   * read-modify-write PUT starts from, so it sends back everything it did not mean to change.
   */
  async getApplicationJson(id: string, o: CallOptions = {}): Promise<{ json: JsonObject; segment: ApplicationSegment }> {
    const json = await this.#call("getApplication", { method: "GET", path: this.#paths.application(id) }, jsonObjectSchema, o);
    const parsed = applicationSegmentSchema.safeParse(json);
    if (!parsed.success)
      throw new VendorError({
        kind: "permanent",
        vendor: "zpa",
        operation: "getApplication",
        message: `unexpected segment shape at ${parsed.error.issues[0]?.path.join(".") ?? "?"}`,
      });
    return { json, segment: parsed.data };
  }

  /** PUT of a whole segment (ZPA's update takes the full object); answers 204. Idempotent, so retried. */
  async updateApplication(id: string, segment: JsonObject, o: CallOptions = {}): Promise<void> {
    await this.#call("updateApplication", { method: "PUT", path: this.#paths.application(id) }, ignoredBody, o, {
      json: segment,
      expectStatus: [204, 200],
    });
  }

  /** getAppsByType: one entry per app of the type, with its segment in `appId`. */
  listAppsByType(applicationType: "BROWSER_ACCESS" | "INSPECT" | "SECURE_REMOTE_ACCESS", o: ListOptions = {}): Promise<AppByType[]> {
    return this.#listAll("listAppsByType", this.#paths.applicationsByType(), appByTypeSchema, o, { applicationType, expandAll: "false" });
  }

  // ---------------------------------------------------------------- plumbing

  async #listAll<T>(operation: string, path: string, item: z.ZodType<T>, o: ListOptions, extraQuery: Record<string, string> = {}): Promise<T[]> {
    const schema = pageSchema(item) as unknown as z.ZodType<{ totalPages: number; list: T[] }>;
    const out: T[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const query = { ...extraQuery, page: String(page), pagesize: String(this.#pageSize), ...(o.search === undefined ? {} : { search: o.search }) };
      const res = await this.#call(operation, { method: "GET", path, query }, schema, o);
      out.push(...res.list);
      // totalPages drives paging; a short page ends it too (totalCount is unreliable and ignored).
      if (page >= res.totalPages || res.list.length < this.#pageSize) return out;
    }
    throw new VendorError({ kind: "permanent", vendor: "zpa", operation, message: `more than ${MAX_PAGES} pages; refusing to continue` });
  }

  async #call<T>(
    operation: string,
    sent: Sent,
    schema: z.ZodType<T>,
    o: CallOptions,
    extra: { json?: unknown; expectStatus?: readonly number[] } = {},
  ): Promise<T> {
    const microtenantId = "microtenantId" in o ? o.microtenantId : this.#microtenantId;
    const signal = o.signal ?? NEVER_ABORTED;
    const query = { ...sent.query, ...(microtenantId === undefined ? {} : { microtenantId }) };
    const write = sent.method !== "GET";
    for (let attempt = 1; ; attempt++) {
      const token = await this.#tokens.token(signal);
      try {
        const res = await this.#http.request({
          operation,
          method: sent.method,
          path: sent.path,
          query,
          headers: { authorization: `Bearer ${token}` },
          schema,
          bucket: write ? "write" : "read",
          signal,
          ...(extra.json === undefined ? {} : { json: extra.json }),
          ...(extra.expectStatus === undefined ? {} : { expectStatus: extra.expectStatus }),
        });
        return res.data;
      } catch (e) {
        // A 401 on a call means the session died (expired, signed out, rotated): sign in again once.
        if (attempt === 1 && isVendorError(e) && e.kind === "credentials" && e.httpStatus === 401) {
          this.#tokens.invalidate(token);
          continue;
        }
        throw e;
      }
    }
  }
}

/**
 * Find the one object named exactly `name` (case, spaces and all). A searchable name asks ZPA for
 * `name EQ <name>` and checks every answer here (ZPA's EQ may ignore case or match more); any other
 * name lists every page and compares here, because a lookup that misses an existing object leads its
 * caller to create a duplicate. Several exact matches (a duplicate already exists) → the oldest.
 */
export async function exactLookup<T extends { readonly name: string; readonly creationTime?: Date | undefined }>(
  name: string,
  list: (o: { search?: string }) => Promise<T[]>,
): Promise<T | undefined> {
  const candidates = await list(nameIsSearchable(name) ? { search: search.eq("name", name) } : {});
  const exact = candidates.filter((c) => c.name === name);
  exact.sort((a, b) => (a.creationTime?.getTime() ?? 0) - (b.creationTime?.getTime() ?? 0));
  return exact[0];
}
