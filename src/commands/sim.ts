// `certbridge sim`: start the three simulators, print where they are as one JSON line, run until
// SIGINT/SIGTERM, then close cleanly.
import { once } from "node:events";
import { stderr, stdout } from "node:process";
import { parseArgs } from "node:util";
import { startSimulators, type SimVendor } from "../sim/index.ts";

const USAGE = `usage: certbridge sim [--http] [--host HOST] [--zpa-port N] [--cloudflare-port N] [--sectigo-port N] [--ca-file PATH]\n`;

function port(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${flag} must be a port number (0-65535)`);
  return n;
}

export interface SimCommandIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Resolves when the process should stop (default: first SIGINT or SIGTERM). */
  readonly stopped?: Promise<unknown>;
}

export async function simCommand(args: string[], io: SimCommandIo = { out: (l) => stdout.write(l), err: (l) => stderr.write(l) }): Promise<number> {
  let flags;
  try {
    flags = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        http: { type: "boolean", default: false },
        host: { type: "string" },
        "zpa-port": { type: "string" },
        "cloudflare-port": { type: "string" },
        "sectigo-port": { type: "string" },
        "ca-file": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    }).values;
  } catch (e) {
    io.err(`${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
    return 2;
  }
  if (flags.help) {
    io.out(USAGE);
    return 0;
  }
  let ports: Partial<Record<SimVendor, number>>;
  try {
    ports = Object.fromEntries(
      (["zpa", "cloudflare", "sectigo"] as const).flatMap((v) => {
        const p = port(flags[`${v}-port`], `--${v}-port`);
        return p === undefined ? [] : [[v, p]];
      }),
    );
  } catch (e) {
    io.err(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }

  // Listen for the signal before starting, so an early Ctrl-C still shuts down cleanly.
  const ac = new AbortController();
  const stopped =
    io.stopped ?? Promise.race([once(process, "SIGINT", { signal: ac.signal }), once(process, "SIGTERM", { signal: ac.signal })]).catch(() => undefined);

  let sims;
  try {
    sims = await startSimulators({
      https: !flags.http,
      ...(flags.host === undefined ? {} : { host: flags.host }),
      ports,
      ...(flags["ca-file"] === undefined ? {} : { caFile: flags["ca-file"] }),
    });
  } catch (e) {
    ac.abort();
    io.err(`simulators failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  for (const [vendor, reason] of Object.entries(sims.unavailable)) io.err(`warning: ${vendor} simulator unavailable: ${reason}\n`);
  io.out(
    `${JSON.stringify({
      zpa: sims.urls.zpa ?? null,
      cloudflare: sims.urls.cloudflare ?? null,
      sectigo: sims.urls.sectigo ?? null,
      caFile: sims.caFile ?? null,
      admin: sims.origins,
      credentials: sims.credentials,
    })}\n`,
  );
  await stopped;
  ac.abort();
  await sims.close();
  return 0;
}
