// Raw-HTTP helpers for simulator tests (no client in between, so the wire itself is checked).
import { createCsr } from "../../pki/csr.ts";
import { generateKey } from "../../pki/keys.ts";
import { CLOUDFLARE_SIM_CREDENTIALS as CREDS } from "./credentials.ts";

export const bearer = { authorization: `Bearer ${CREDS.apiToken}` };

export interface RawResult {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown> & {
    success?: boolean;
    errors?: Array<{ code: number; message: string; error_chain?: Array<{ code: number; message: string }> }>;
    result?: unknown;
    result_info?: Record<string, number>;
  };
}

export async function call(base: string, method: string, path: string, opts: { headers?: Record<string, string>; json?: unknown } = {}): Promise<RawResult> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(opts.json === undefined ? {} : { "content-type": "application/json" }), ...(opts.headers ?? bearer) },
    ...(opts.json === undefined ? {} : { body: JSON.stringify(opts.json) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === "" ? {} : (JSON.parse(text) as RawResult["body"]) };
}

export async function sampleCsr(commonName = "sample"): Promise<string> {
  const { privateKey } = await generateKey({ algorithm: "ECDSA", size: 256 });
  return createCsr({
    privateKey,
    subject: {
      commonName,
      organizations: ["Organization"],
      organizationalUnits: ["Organizational Unit"],
      countries: ["US"],
      localities: ["Somewhere"],
      provinces: ["CA"],
    },
  });
}

export const zonePath = (zone: string = CREDS.zoneId): string => `/client/v4/zones/${zone}/client_certificates`;
