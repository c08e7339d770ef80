// All three simulators behind one call (dev mode, e2e tests, benchmarks): one sim CA, one serving
// certificate, and a CA file clients can trust. ZPA and Sectigo are loaded lazily so this module
// works while either is absent.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCloudflareSimulator, type CloudflareSimulator } from "./cloudflare/index.ts";
import type { FaultsApi } from "./shared/faults.ts";
import { createSimTls } from "./shared/tls.ts";

export type SimVendor = "zpa" | "cloudflare" | "sectigo";

/** What every vendor simulator offers, whatever else it adds. */
export interface VendorSimulator {
  readonly url: string;
  readonly faults: FaultsApi;
  state(): Record<string, unknown>;
  close(): Promise<void>;
  readonly [extra: string]: unknown;
}

export interface StartSimulatorsOptions {
  /** Serve HTTPS from a sim CA (default true). */
  readonly https?: boolean;
  readonly host?: string;
  readonly ports?: Partial<Record<SimVendor, number>>;
  /** Where to write the sim root CA (PEM); a temp file by default (removed on close). */
  readonly caFile?: string;
}

export interface RunningSimulators {
  /** Base URLs clients use (Cloudflare's includes /client/v4, like the real API). */
  readonly urls: Record<SimVendor, string | undefined>;
  /** Server origins, where /__sim/ admin routes live. */
  readonly origins: Record<SimVendor, string | undefined>;
  readonly caFile: string | undefined;
  readonly caPem: string | undefined;
  readonly sims: { readonly zpa?: VendorSimulator; readonly cloudflare: CloudflareSimulator; readonly sectigo?: VendorSimulator };
  /** Non-secret test credentials each simulator accepts. */
  readonly credentials: Record<SimVendor, Record<string, unknown> | undefined>;
  /** Vendors whose simulator module could not be loaded, with the reason. */
  readonly unavailable: Partial<Record<SimVendor, string>>;
  close(): Promise<void>;
}

type Starter = (opts: { tls?: { certPem: string; keyPem: string; caPem?: string }; host?: string; port?: number }) => Promise<VendorSimulator>;

// Specifiers kept in variables: the modules may not exist yet, and that must not break type checks.
const LOADERS: Record<"zpa" | "sectigo", { modules: readonly string[]; exportName: string }> = {
  zpa: { modules: ["./zpa/index.ts", "./zpa/server.ts"], exportName: "startZpaSimulator" },
  sectigo: { modules: ["./sectigo/index.ts", "./sectigo/server.ts"], exportName: "startSectigoSimulator" },
};

async function loadStarter(vendor: "zpa" | "sectigo"): Promise<Starter | string> {
  const { modules, exportName } = LOADERS[vendor];
  const reasons: string[] = [];
  for (const spec of modules) {
    try {
      // A relative specifier (resolved against this module): the image's tsc build rewrites it to .js.
      const mod = (await import(spec)) as Record<string, unknown>;
      const fn = mod[exportName];
      if (typeof fn === "function") return fn as Starter;
      reasons.push(`${spec} has no ${exportName}`);
    } catch (e) {
      reasons.push(`${spec}: ${e instanceof Error ? e.message.split("\n")[0] : "failed to load"}`);
    }
  }
  return reasons.join("; ");
}

function credentialsOf(vendor: SimVendor, sim: VendorSimulator | CloudflareSimulator): Record<string, unknown> {
  const s = sim as unknown as Record<string, unknown>;
  switch (vendor) {
    case "cloudflare":
      return { ...(s["credentials"] as Record<string, unknown>) };
    case "zpa": {
      const creds = s["credentials"];
      const first = Array.isArray(creds) ? (creds[0] as Record<string, unknown> | undefined) : (creds as Record<string, unknown> | undefined);
      return { ...first, ...(typeof s["customerId"] === "string" ? { customerId: s["customerId"] } : {}) };
    }
    case "sectigo":
      return {
        ...(s["credentials"] as Record<string, unknown> | undefined),
        ...(typeof s["customerUri"] === "string" ? { customerUri: s["customerUri"] } : {}),
      };
  }
}

export async function startSimulators(opts: StartSimulatorsOptions = {}): Promise<RunningSimulators> {
  const https = opts.https ?? true;
  const host = opts.host ?? "127.0.0.1";
  const started: Array<{ close(): Promise<void> }> = [];
  let tempDir: string | undefined;
  try {
    const tls = https
      ? await createSimTls({ hosts: [...new Set(["localhost", "127.0.0.1", "::1", ...(host === "0.0.0.0" || host === "::" ? [] : [host])])] })
      : undefined;
    const serving = tls === undefined ? undefined : { certPem: tls.certPem, keyPem: tls.keyPem, caPem: tls.caPem };
    const common = (port: number | undefined) => ({ ...(serving === undefined ? {} : { tls: serving }), host, ...(port === undefined ? {} : { port }) });

    const cloudflare = await startCloudflareSimulator(common(opts.ports?.cloudflare));
    started.push(cloudflare);
    const unavailable: Partial<Record<SimVendor, string>> = {};
    const others: Partial<Record<"zpa" | "sectigo", VendorSimulator>> = {};
    for (const vendor of ["zpa", "sectigo"] as const) {
      const starter = await loadStarter(vendor);
      if (typeof starter === "string") {
        unavailable[vendor] = starter;
        continue;
      }
      const sim = await starter(common(opts.ports?.[vendor]));
      started.push(sim);
      others[vendor] = sim;
    }

    let caFile: string | undefined;
    if (tls !== undefined) {
      if (opts.caFile !== undefined) caFile = opts.caFile;
      else {
        tempDir = await mkdtemp(join(tmpdir(), "certbridge-sim-"));
        caFile = join(tempDir, "ca.pem");
      }
      await writeFile(caFile, tls.caPem, { mode: 0o644 });
    }

    const dir = tempDir;
    return {
      urls: { zpa: others.zpa?.url, cloudflare: cloudflare.apiBaseUrl, sectigo: others.sectigo?.url },
      origins: { zpa: others.zpa?.url, cloudflare: cloudflare.url, sectigo: others.sectigo?.url },
      caFile,
      caPem: tls?.caPem,
      sims: { cloudflare, ...others },
      credentials: {
        zpa: others.zpa === undefined ? undefined : credentialsOf("zpa", others.zpa),
        cloudflare: credentialsOf("cloudflare", cloudflare),
        sectigo: others.sectigo === undefined ? undefined : credentialsOf("sectigo", others.sectigo),
      },
      unavailable,
      close: async () => {
        await Promise.allSettled(started.map((s) => s.close()));
        if (dir !== undefined) await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await Promise.allSettled(started.map((s) => s.close()));
    if (tempDir !== undefined) await rm(tempDir, { recursive: true, force: true });
    throw e;
  }
}
