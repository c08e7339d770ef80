// What the vendors hold, read from the simulators: Sectigo orders and ZPA keys from their /__sim/
// admin routes; Cloudflare certificates (its /__sim/state carries only counts) and ZPA key values
// (kept out of /__sim/ on purpose) through the vendor API, which is why these reads happen only
// with the faults switched off.
import { X509Certificate } from "node:crypto";
import type { SimulatorProcess } from "./simulators.ts";

export interface VendorCertificate {
  readonly vendor: "cloudflare" | "sectigo";
  readonly id: string;
  /** Common name and DNS names, for attributing the object to a soak resource and content version. */
  readonly names: readonly string[];
  /** Cloudflare status, or the Sectigo order phase. */
  readonly state: string;
  /** Still usable (or on its way to being issued): must be tracked by a live resource, or revoked. */
  readonly alive: boolean;
  readonly serialHex: string | undefined;
  readonly certificatePem: string | undefined;
  readonly comments?: string;
}

export interface ZpaKeyRecord {
  readonly id: string;
  readonly name: string;
  readonly maxUsage: number;
  readonly enabled: boolean;
  readonly associationType: string;
}

export interface ZpaView {
  readonly keys: readonly ZpaKeyRecord[];
  readonly createdTotal: number;
  readonly deletedTotal: number;
  readonly rateLimitViolations: number;
}

export const normalizeSerial = (hex: string | undefined): string | undefined =>
  hex === undefined
    ? undefined
    : hex
        .replace(/[^0-9a-f]/gi, "")
        .toLowerCase()
        .replace(/^0+/, "");

const SECTIGO_ALIVE = new Set(["requested", "applied", "issued"]);
const CLOUDFLARE_ALIVE = new Set(["active", "pending_reactivation"]);

export class VendorReader {
  readonly #sims: SimulatorProcess;
  #zpaToken: string | undefined;

  constructor(sims: SimulatorProcess) {
    this.#sims = sims;
  }

  /** Every client certificate in the zone (statusFilter "active" for the cheap convergence check). */
  async cloudflare(statusFilter: "all" | "active" = "all"): Promise<VendorCertificate[]> {
    const { apiToken, zoneId } = this.#sims.endpoints.credentials.cloudflare;
    const out: VendorCertificate[] = [];
    for (let page = 1; ; page++) {
      const body = await this.#sims.call<{ result: Array<Record<string, unknown>>; result_info?: { total_count?: number } }>(
        "cloudflare",
        "GET",
        `/client/v4/zones/${zoneId}/client_certificates?status=${statusFilter}&per_page=50&page=${page}`,
        undefined,
        { authorization: `Bearer ${apiToken}` },
      );
      for (const c of body.result) {
        const pem = typeof c["certificate"] === "string" ? c["certificate"] : undefined;
        const names = [String(c["common_name"] ?? "")];
        if (pem !== undefined) {
          const san = new X509Certificate(pem).subjectAltName ?? "";
          for (const part of san.split(",")) if (part.trim().startsWith("DNS:")) names.push(part.trim().slice(4));
        }
        const state = String(c["status"]);
        out.push({
          vendor: "cloudflare",
          id: String(c["id"]),
          names,
          state,
          alive: CLOUDFLARE_ALIVE.has(state),
          serialHex: normalizeSerial(String(c["serial_number"] ?? "")),
          certificatePem: pem,
        });
      }
      const total = body.result_info?.total_count ?? 0;
      if (body.result.length === 0 || page * 50 >= total) return out;
    }
  }

  async sectigo(): Promise<VendorCertificate[]> {
    const orders = await this.#sims.call<Array<Record<string, unknown>>>("sectigo", "GET", "/__sim/sectigo/orders");
    return orders
      .filter((o) => o["family"] === "ssl")
      .map((o) => {
        const phase = String(o["phase"]);
        return {
          vendor: "sectigo" as const,
          // The operator's vendorRef names the family ("ssl:812"): revoke gets no order to tell them apart.
          id: `ssl:${String(o["id"])}`,
          names: [String(o["commonName"] ?? ""), ...((o["sans"] as string[] | undefined) ?? [])],
          state: phase,
          alive: SECTIGO_ALIVE.has(phase),
          serialHex: normalizeSerial(o["serialHex"] as string | undefined),
          certificatePem: undefined,
          comments: String(o["comments"] ?? ""),
        };
      });
  }

  async zpa(): Promise<ZpaView> {
    const state = await this.#sims.call<{
      provisioningKeys: Array<Record<string, unknown>>;
      created: { provisioningKey: Record<string, number> };
      deleted: { provisioningKey: Record<string, number> };
      rateLimit?: { violations?: number };
    }>("zpa", "GET", "/__sim/zpa/state");
    const sum = (r: Record<string, number> | undefined) => Object.values(r ?? {}).reduce((a, b) => a + b, 0);
    return {
      keys: state.provisioningKeys.map((k) => ({
        id: String(k["id"]),
        name: String(k["name"]),
        maxUsage: Number(k["maxUsage"]),
        enabled: k["enabled"] === true,
        associationType: String(k["associationType"]),
      })),
      createdTotal: sum(state.created?.provisioningKey),
      deletedTotal: sum(state.deleted?.provisioningKey),
      rateLimitViolations: state.rateLimit?.violations ?? 0,
    };
  }

  /** The key value ZPA would hand out for this key (through the API: /__sim/ never shows key values). */
  async zpaKeyValue(key: ZpaKeyRecord): Promise<string | undefined> {
    const { customerId } = this.#sims.endpoints.credentials.zpa;
    const path = `/mgmtconfig/v1/admin/customers/${customerId}/associationType/${key.associationType}/provisioningKey/${key.id}`;
    for (let attempt = 0; attempt < 2; attempt++) {
      this.#zpaToken ??= await this.#signIn();
      try {
        const body = await this.#sims.call<Record<string, unknown>>("zpa", "GET", path, undefined, { authorization: `Bearer ${this.#zpaToken}` });
        return typeof body["provisioningKey"] === "string" ? body["provisioningKey"] : undefined;
      } catch (error) {
        if (!String(error).includes("HTTP 401")) throw error;
        this.#zpaToken = undefined;
      }
    }
    return undefined;
  }

  async #signIn(): Promise<string> {
    const { clientId, clientSecret } = this.#sims.endpoints.credentials.zpa;
    const form = new URLSearchParams({ client_id: clientId, client_secret: clientSecret }).toString();
    const body = await this.#sims.call<{ access_token: string }>("zpa", "POST", "/signin", form);
    return body.access_token;
  }
}
