import { pino, type Logger, type LevelWithSilent, type DestinationStream } from "pino";
import { scrub, scrubString } from "./redact.ts";

export type { Logger };

export interface LoggerOptions {
  readonly level?: LevelWithSilent;
  readonly name?: string;
  readonly destination?: DestinationStream;
}

/**
 * JSON logs with secret material scrubbed from every record, whatever the caller passed. One line per
 * record on stdout unless a destination is given: the stream the README names (ADR 0016).
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      name: options.name ?? "certbridge",
      level: options.level ?? "info",
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (record) => scrub(record) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          // Scrub the message strings too: formatters.log only sees the merged object.
          method.apply(this, args.map((a) => (typeof a === "string" ? scrubString(a) : a)) as Parameters<typeof method>);
        },
      },
    },
    options.destination,
  );
}

/** A logger that writes nowhere: for tests that do not inspect logs. */
export const silentLogger = (): Logger => pino({ level: "silent" });
