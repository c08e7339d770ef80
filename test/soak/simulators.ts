// The vendor simulators as their own process (`certbridge sim`, HTTPS from a sim CA), and a small
// client for their /__sim/ admin routes and, where the admin routes say too little, their vendor API.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Agent, request } from "undici";
import type { SoakVendor } from "./options.ts";

const CLI = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));

export interface SimEndpoints {
  /** Base URLs the operator uses (Cloudflare's carries /client/v4). */
  readonly urls: Record<SoakVendor, string>;
  /** Origins of the /__sim/ admin routes. */
  readonly admin: Record<SoakVendor, string>;
  readonly caPem: string;
  readonly credentials: {
    readonly cloudflare: { apiToken: string; zoneId: string };
    readonly sectigo: { login: string; password: string; customerUri: string };
    readonly zpa: { clientId: string; clientSecret: string; customerId: string };
  };
}

export class SimulatorProcess {
  readonly endpoints: SimEndpoints;
  readonly #child: ChildProcess;
  readonly #agent: Agent;

  private constructor(child: ChildProcess, endpoints: SimEndpoints) {
    this.#child = child;
    this.endpoints = endpoints;
    this.#agent = new Agent({ connect: { ca: endpoints.caPem }, connections: 8 });
  }

  static async start(outDir: string): Promise<SimulatorProcess> {
    const caFile = join(outDir, "sim-ca.pem");
    const child = spawn(process.execPath, [CLI, "sim", "--ca-file", caFile], { stdio: ["ignore", "pipe", "pipe"] });
    const log = createWriteStream(join(outDir, "simulators.log"), { flags: "a" });
    child.stderr?.pipe(log);
    const line = await new Promise<string>((resolve, reject) => {
      let buffered = "";
      const timer = setTimeout(() => reject(new Error("simulators did not report their URLs within 60 s")), 60_000);
      child.stdout?.on("data", (chunk: Buffer) => {
        buffered += chunk.toString();
        const nl = buffered.indexOf("\n");
        if (nl >= 0) {
          clearTimeout(timer);
          resolve(buffered.slice(0, nl));
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`certbridge sim exited early (code ${code}); see simulators.log`));
      });
    });
    const info = JSON.parse(line) as {
      zpa: string | null;
      cloudflare: string | null;
      sectigo: string | null;
      caFile: string | null;
      admin: Record<SoakVendor, string | null>;
      credentials: Record<SoakVendor, Record<string, unknown> | null>;
    };
    if (!info.zpa || !info.cloudflare || !info.sectigo || !info.caFile) throw new Error(`a simulator is unavailable: ${line}`);
    const str = (v: SoakVendor, k: string) => {
      const value = info.credentials[v]?.[k];
      if (typeof value !== "string") throw new Error(`simulator credentials lack ${v}.${k}`);
      return value;
    };
    const endpoints: SimEndpoints = {
      urls: { zpa: info.zpa, cloudflare: info.cloudflare, sectigo: info.sectigo },
      admin: { zpa: info.admin.zpa ?? info.zpa, cloudflare: info.admin.cloudflare ?? info.cloudflare, sectigo: info.admin.sectigo ?? info.sectigo },
      caPem: await readFile(info.caFile, "utf8"),
      credentials: {
        cloudflare: { apiToken: str("cloudflare", "apiToken"), zoneId: str("cloudflare", "zoneId") },
        sectigo: { login: str("sectigo", "login"), password: str("sectigo", "password"), customerUri: str("sectigo", "customerUri") },
        zpa: { clientId: str("zpa", "clientId"), clientSecret: str("zpa", "clientSecret"), customerId: str("zpa", "customerId") },
      },
    };
    return new SimulatorProcess(child, endpoints);
  }

  /** JSON from any path on a simulator's origin (admin routes, or the vendor API with `headers`). */
  async call<T>(vendor: SoakVendor, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const isForm = typeof body === "string";
    const res = await request(`${this.endpoints.admin[vendor]}${path}`, {
      method: method as "GET",
      dispatcher: this.#agent,
      headers: { ...(body === undefined ? {} : { "content-type": isForm ? "application/x-www-form-urlencoded" : "application/json" }), ...headers },
      ...(body === undefined ? {} : { body: isForm ? body : JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.body.text();
    if (res.statusCode >= 300) throw new Error(`${vendor} ${method} ${path}: HTTP ${res.statusCode} ${text.slice(0, 200)}`);
    return (text === "" ? undefined : JSON.parse(text)) as T;
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      const exited = once(this.#child, "exit");
      this.#child.kill("SIGTERM");
      await exited;
    }
    await this.#agent.close();
  }
}
