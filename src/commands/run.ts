import { configHelp, loadOperatorConfig } from "../config/operator.ts";
import { createLogger } from "../observability/logger.ts";
import { startOperator } from "../operator.ts";

/** `certbridge run`: the operator against the current kubeconfig or in-cluster config, until SIGTERM. */
export async function runCommand(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(`usage: certbridge run [flags]\n\nflags (and environment variables):\n${configHelp()}\n`);
    return 0;
  }
  let config;
  try {
    config = loadOperatorConfig(args);
  } catch (error) {
    process.stderr.write(`certbridge run: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  const log = createLogger({ level: config.logLevel });
  process.on("uncaughtException", (error) => {
    log.fatal({ err: error }, "uncaught exception");
    process.exit(1);
  });
  process.on("unhandledRejection", (reason) => {
    log.error({ err: reason instanceof Error ? reason : String(reason) }, "unhandled rejection");
  });
  let operator;
  try {
    operator = await startOperator(config, log);
  } catch (error) {
    log.fatal({ err: error instanceof Error ? error : String(error) }, "could not start");
    return 1;
  }
  const handle = operator;
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        log.warn({ signal }, "second signal: exiting without a graceful stop");
        process.exit(1);
      }
      stopping = true;
      log.info({ signal }, "stopping: draining controllers and releasing the lease");
      handle.stop().then(
        () => resolve(0),
        (error: unknown) => {
          log.error({ err: error instanceof Error ? error : String(error) }, "error while stopping");
          resolve(1);
        },
      );
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
}
