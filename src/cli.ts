#!/usr/bin/env node
// certbridge CLI: a table of subcommands, each a module with one job. Also installed as the kubectl
// plugin `kubectl-certbridge` (bin/kubectl-certbridge.js), which runs this same table.
import { argv, exit, stderr } from "node:process";
import { programName } from "./commands/cli/io.ts";

type Command = { readonly summary: string; readonly hidden?: boolean; readonly load: () => Promise<(args: string[]) => Promise<number>> };

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
  status: {
    summary: "one screen for a resource: conditions, certificate, order, connection, Secret, Events, next step",
    load: async () => (await import("./commands/cli/status.ts")).statusCommand,
  },
  get: {
    summary: "a table across every certbridge kind: Ready, reason, vendor, expiry and the next action",
    load: async () => (await import("./commands/cli/get.ts")).getCommand,
  },
  renew: {
    summary: "re-issue ManagedCertificates now (sets the certbridge.dev/renew-request annotation)",
    load: async () => (await import("./commands/cli/annotate.ts")).renewCommand,
  },
  rotate: {
    summary: "re-create ProvisioningKeys in ZPA now (sets the certbridge.dev/rotate-request annotation)",
    load: async () => (await import("./commands/cli/annotate.ts")).rotateCommand,
  },
  inspect: {
    summary: "decode a TLS Secret: subject, SANs, chain, validity, key type, key/certificate match, fingerprints (never the key)",
    load: async () => (await import("./commands/cli/inspect.ts")).inspectCommand,
  },
  check: {
    summary: "is the API reachable, are the CRDs installed at this version, is the operator leading, may you do what the chart grants it",
    load: async () => (await import("./commands/cli/check.ts")).checkCommand,
  },
  completion: {
    summary: "print a shell completion script for bash, zsh or fish",
    load: async () => (await import("./commands/cli/completion.ts")).completionCommand,
  },
  __complete: {
    summary: "(for the completion scripts) candidates for the last word",
    hidden: true,
    load: async () => (await import("./commands/cli/completion.ts")).completeCommandFor(table()),
  },
};

/** The visible commands, for usage and completion. */
function table(): Array<{ name: string; summary: string }> {
  return Object.entries(commands)
    .filter(([, c]) => !c.hidden)
    .map(([name, c]) => ({ name, summary: c.summary }));
}

function usage(): string {
  const width = Math.max(...table().map((c) => c.name.length));
  const lines = table().map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `usage: ${programName(argv[1])} <command> [flags]\n\ncommands:\n${lines.join("\n")}\n\n<command> --help says more.\n`;
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
