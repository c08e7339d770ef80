// Every CLI subcommand's flags, positionals and help, in one module that imports no implementation:
// each command parses its arguments with its spec, and `completion` / `__complete` read them all
// without loading the commands themselves.
import { settings } from "../../config/operator.ts";
import { type CommandSpec, type FlagSpec, allNamespacesFlag, kubeFlags, noColorFlag, outputFlag } from "./flags.ts";
import { cliKinds } from "./kinds.ts";

export const DEFAULT_OPERATOR_NAMESPACE = "certbridge-system";

export const statusSpec: CommandSpec = {
  name: "status",
  summary: "one screen for a resource: conditions, certificate or key, pending order, backoff, connection, Secret, Events, and the next step",
  usage: "<kind>/<name> [flags]   (or just <name>: the one certbridge resource of that name)",
  flags: [...kubeFlags, outputFlag, noColorFlag],
  positionals: [{ type: "kind/name" }],
  details: `kinds: ${cliKinds.map((k) => `${k.names.singular} (${k.short})`).join(", ")}

exit codes: 0 Ready · 1 not Ready · 2 usage · 3 not found · 4 cluster unreachable or access refused`,
};

export const getSpec: CommandSpec = {
  name: "get",
  summary: "a table across every certbridge kind: Ready, reason, vendor, expiry and the next action",
  usage: "[kind] [flags]",
  flags: [
    ...kubeFlags,
    allNamespacesFlag,
    { name: "selector", short: "l", value: "SELECTOR", help: "only resources with these labels (a=b,c!=d)" },
    outputFlag,
    noColorFlag,
  ],
  positionals: [{ type: "kinds" }],
  details: "Cluster-scoped kinds (ClusterVendorConnection, ClusterVendorIssuer) are listed with any -n.",
};

const selectionFlags: readonly FlagSpec[] = [
  { name: "all", help: "every resource of the kind in the namespace (with -l: those it selects; with -A: in every namespace)" },
  { name: "selector", short: "l", value: "SELECTOR", help: "with --all: only resources with these labels (a=b,c!=d)" },
  allNamespacesFlag,
];

export const renewSpec: CommandSpec = {
  name: "renew",
  summary: "re-issue ManagedCertificates now (sets the certbridge.dev/renew-request annotation)",
  usage: "<name>... | --all [-l SELECTOR] [-A] [flags]",
  flags: [...kubeFlags, ...selectionFlags, noColorFlag],
  positionals: [{ type: "names", kind: "ManagedCertificate" }],
  repeatLast: true,
  details: `The current certificate stays in its Secret until the new one is issued. Follow with: status mcert/<name>.
exit codes: 0 every request set · 2 usage · 3 a name not found · 4 cluster unreachable or access refused`,
};

export const rotateSpec: CommandSpec = {
  name: "rotate",
  summary: "re-create ProvisioningKeys in ZPA now (sets the certbridge.dev/rotate-request annotation)",
  usage: "<name>... | --all [-l SELECTOR] [-A] [flags]",
  flags: [...kubeFlags, ...selectionFlags, noColorFlag],
  positionals: [{ type: "names", kind: "ProvisioningKey" }],
  repeatLast: true,
  details: `Like increasing spec.rotation: the key is deleted and re-created in ZPA, then the Secret is updated.
exit codes: 0 every request set · 2 usage · 3 a name not found · 4 cluster unreachable or access refused`,
};

export const inspectSpec: CommandSpec = {
  name: "inspect",
  summary: "decode a TLS Secret: subject, SANs, issuer chain with validity, key type and size, key/certificate match, fingerprints (never the key)",
  usage: "secret <name> [flags]",
  flags: [...kubeFlags, outputFlag, noColorFlag],
  positionals: [
    { type: "words", words: ["secret"] },
    { type: "names", kind: "Secret" },
  ],
  details:
    "exit codes: 0 readable and sound · 1 a problem (expired, chain broken, key does not match) · 2 usage · 3 not found · 4 cluster unreachable or access refused",
};

export const checkSpec: CommandSpec = {
  name: "check",
  summary: "is the API reachable, are the CRDs installed at this version, is the operator leading, may you do what the chart grants it",
  usage: "[flags]",
  flags: [
    ...kubeFlags,
    { name: "operator-namespace", value: "NAMESPACE", help: `where the operator runs and holds its leader Lease (default ${DEFAULT_OPERATOR_NAMESPACE})` },
    { name: "leader-election-id", value: "NAME", help: `the leader Lease's name (default ${settings.leaderElectionId.default})` },
    outputFlag,
    noColorFlag,
  ],
  positionals: [],
  details: `RBAC is checked cluster-wide, or in the namespace given with -n (an operator with watchNamespaces).
exit codes: 0 every check passed · 1 a check failed · 2 usage · 4 the API server cannot be reached`,
};

export const SHELLS = ["bash", "zsh", "fish"] as const;

export const completionSpec: CommandSpec = {
  name: "completion",
  summary: "print a shell completion script for bash, zsh or fish",
  usage: "bash|zsh|fish",
  flags: [],
  positionals: [{ type: "words", words: SHELLS }],
  details: `bash:  source <(certbridge completion bash)      (or save it under /etc/bash_completion.d/)
zsh:   source <(certbridge completion zsh)       (after compinit)
fish:  certbridge completion fish > ~/.config/fish/completions/certbridge.fish
The scripts ask \`certbridge __complete\` for candidates, so resource names come from the cluster.`,
};

/** The subcommands with a spec, by name. */
export const cliSpecs: Readonly<Record<string, CommandSpec>> = Object.fromEntries(
  [statusSpec, getSpec, renewSpec, rotateSpec, inspectSpec, checkSpec, completionSpec].map((s) => [s.name, s]),
);
