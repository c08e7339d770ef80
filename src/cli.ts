#!/usr/bin/env node
// certbridge CLI: a table of subcommands, each a module with one job.
import { argv, exit, stderr } from "node:process";

type Command = { readonly summary: string; readonly load: () => Promise<(args: string[]) => Promise<number>> };

const commands: Record<string, Command> = {
  run: { summary: "run the operator against the current kubeconfig or in-cluster config", load: async () => (await import("./commands/run.ts")).runCommand },
  dev: {
    summary: "local kube-apiserver + etcd, CRDs, vendor simulators, sample resources and the operator; Ctrl-C tears down",
    load: async () => (await import("./commands/dev.ts")).devCommand,
  },
  sim: {
    summary: "start the ZPA, Cloudflare and Sectigo simulators and print their URLs as one JSON line",
    load: async () => (await import("./commands/sim.ts")).simCommand,
  },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(6)} ${c.summary}`);
  return `usage: certbridge <command> [flags]\n\ncommands:\n${lines.join("\n")}\n`;
}

const [name, ...rest] = argv.slice(2);
const command = name === undefined ? undefined : commands[name];
if (command === undefined) {
  stderr.write(usage());
  exit(name === undefined || name === "help" || name === "--help" ? 0 : 2);
} else {
  const handler = await command.load();
  exit(await handler(rest));
}
