// Small HTTP helpers for tests that talk to the ZPA simulator directly (no client in between).
import type { ZpaSimulator } from "./server.ts";

export type RawResult = { status: number; headers: Headers; text: string; json: unknown };

export async function raw(
  sim: Pick<ZpaSimulator, "url">,
  method: string,
  path: string,
  opts: { token?: string; json?: unknown; body?: string; contentType?: string; form?: Record<string, string> } = {},
): Promise<RawResult> {
  const headers: Record<string, string> = {};
  if (opts.token !== undefined) headers["authorization"] = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers["content-type"] = "application/json";
  } else if (opts.form !== undefined) {
    body = new URLSearchParams(opts.form).toString();
    headers["content-type"] = "application/x-www-form-urlencoded";
  } else if (opts.body !== undefined) {
    body = opts.body;
    headers["content-type"] = opts.contentType ?? "application/json";
  }
  const res = await fetch(sim.url + path, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  let json: unknown;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export async function signIn(sim: Pick<ZpaSimulator, "url" | "credentials">): Promise<string> {
  const c = sim.credentials[0]!;
  const r = await raw(sim, "POST", "/signin", { form: { client_id: c.clientId, client_secret: c.clientSecret } });
  if (r.status !== 200) throw new Error(`signin failed: ${r.status}`);
  return (r.json as { access_token: string }).access_token;
}

export async function oneApiToken(sim: Pick<ZpaSimulator, "url" | "credentials">): Promise<string> {
  const c = sim.credentials[0]!;
  const r = await raw(sim, "POST", "/oauth2/v1/token", {
    form: { grant_type: "client_credentials", client_id: c.clientId, client_secret: c.clientSecret, audience: "https://api.zscaler.com" },
  });
  if (r.status !== 200) throw new Error(`token failed: ${r.status}`);
  return (r.json as { access_token: string }).access_token;
}

export const mgmt = (customerId: string, v: 1 | 2 = 1): string => `/mgmtconfig/v${v}/admin/customers/${customerId}`;
