import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { z } from "zod";
import { parseDuration } from "../api/v1alpha1/common.ts";

/**
 * Every operator setting, with its flag, environment variable and default in one table: the only
 * place that reads process.env or argv. The README's flag table is kept in step with this one.
 */
export const settings = {
  kubeconfig: { flag: "kubeconfig", env: "KUBECONFIG", help: "kubeconfig to use; default: in-cluster config, else ~/.kube/config" },
  namespaces: { flag: "namespaces", env: "CERTBRIDGE_NAMESPACES", help: "comma-separated namespaces to watch; empty watches all" },
  leaderElect: { flag: "leader-elect", env: "CERTBRIDGE_LEADER_ELECT", help: "campaign for a Lease before reconciling (true|false)", default: "true" },
  leaderElectionNamespace: {
    flag: "leader-election-namespace",
    env: "CERTBRIDGE_LEADER_ELECTION_NAMESPACE",
    help: "namespace of the leader Lease; default: the pod's namespace, else default",
  },
  leaderElectionId: { flag: "leader-election-id", env: "CERTBRIDGE_LEADER_ELECTION_ID", help: "name of the leader Lease", default: "certbridge-leader" },
  leaderElectionLeaseDuration: {
    flag: "leader-election-lease-duration",
    env: "CERTBRIDGE_LEADER_ELECTION_LEASE_DURATION",
    help: "how long a standby waits, after it last saw the Lease renewed, before it takes over (the failover time after a crash)",
    default: "10s",
  },
  leaderElectionRenewDeadline: {
    flag: "leader-election-renew-deadline",
    env: "CERTBRIDGE_LEADER_ELECTION_RENEW_DEADLINE",
    help: "how long the leader keeps trying to renew before it stops acting; shorter than the lease duration",
    default: "7s",
  },
  leaderElectionRetryPeriod: {
    flag: "leader-election-retry-period",
    env: "CERTBRIDGE_LEADER_ELECTION_RETRY_PERIOD",
    help: "how often the leader renews and a standby looks at the Lease; a fraction of the renew deadline",
    default: "2s",
  },
  metricsPort: {
    flag: "metrics-port",
    env: "CERTBRIDGE_METRICS_PORT",
    help: "port serving /metrics, /healthz and /readyz (0 = any free port)",
    default: "8080",
  },
  metricsHost: { flag: "metrics-host", env: "CERTBRIDGE_METRICS_HOST", help: "address the metrics and health server binds", default: "0.0.0.0" },
  logLevel: { flag: "log-level", env: "CERTBRIDGE_LOG_LEVEL", help: "trace|debug|info|warn|error", default: "info" },
  concurrency: { flag: "concurrency", env: "CERTBRIDGE_CONCURRENCY", help: "workers per controller", default: "4" },
  identity: { flag: "identity", env: "POD_NAME", help: "this replica's identity in the Lease; default: hostname plus a random suffix" },
  crashAt: {
    flag: "debug-crash-at",
    env: "CERTBRIDGE_DEBUG_CRASH_AT",
    help: "testing only: SIGKILL this process the first time <controller>:<step> is reached (crash-safety tests)",
  },
  rateLimitWarmUp: {
    flag: "rate-limit-warm-up",
    env: "CERTBRIDGE_RATE_LIMIT_WARM_UP",
    help: "spend only a quarter of each vendor rate budget in its first window after a start, since a predecessor may have spent the rest: auto (when the leader Lease was renewed within the last 5 minutes, or leader election is off) | always | never",
    default: "auto",
  },
  provisioningKeyDriftInterval: {
    flag: "provisioningkey-drift-interval",
    env: "CERTBRIDGE_PROVISIONINGKEY_DRIFT_INTERVAL",
    help: "how often each ProvisioningKey's key is looked at in ZPA (drift, usage, existence), jittered by up to 20%; one GET per key per interval against ZPA's 20 GET per 10 s per tenant (10m leaves room for ~1,600 keys). Annotate a key certbridge.dev/observe-request=<new value> to look now. Between 10s and 24h",
    default: "10m",
  },
  certManager: {
    flag: "cert-manager",
    env: "CERTBRIDGE_CERT_MANAGER",
    help: "serve cert-manager CertificateRequests for VendorIssuers once cert-manager's CRDs are installed (true|false)",
    default: "true",
  },
  orderSettleMs: {
    flag: "debug-order-settle-ms",
    env: "CERTBRIDGE_DEBUG_ORDER_SETTLE_MS",
    help: "testing only: how long an unanswered certificate order may still be committed by the vendor (default per vendor: Cloudflare 3 min, Sectigo 10 min); shorter risks paying twice",
  },
} as const;

type SettingName = keyof typeof settings;

const boolish = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");
const port = z.coerce.number().int().min(0).max(65535);
/** A duration such as "10m", "90s" or "1h30m" (units h, m, s, ms), in milliseconds, within [min, max]. */
const durationMs = (min: number, max: number, words: string) =>
  z.string().transform((v, ctx) => {
    const ms = parseDuration(v.trim());
    if (ms === undefined || ms < min || ms > max) {
      ctx.addIssue({ code: "custom", message: `must be a duration such as "10m" or "90s" ${words}` });
      return z.NEVER;
    }
    return ms;
  });

export const OperatorConfig = z
  .object({
    kubeconfig: z.string().min(1).optional(),
    namespaces: z
      .string()
      .optional()
      .transform((v) =>
        (v ?? "")
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean),
      ),
    leaderElect: boolish,
    leaderElectionNamespace: z.string().min(1),
    leaderElectionId: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be a DNS subdomain name"),
    leaderElectionLeaseDuration: durationMs(2_000, 300_000, "between 2s and 5m"),
    leaderElectionRenewDeadline: durationMs(1_000, 300_000, "between 1s and 5m"),
    leaderElectionRetryPeriod: durationMs(200, 60_000, "between 200ms and 1m"),
    metricsPort: port,
    metricsHost: z.string().min(1),
    logLevel: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]),
    concurrency: z.coerce.number().int().min(1).max(256),
    identity: z.string().min(1),
    crashAt: z
      .string()
      .regex(/^(managedcertificate|provisioningkey|certificaterequest):[a-z-]+$/, "must be <controller>:<step>, e.g. managedcertificate:submitted")
      .optional(),
    rateLimitWarmUp: z.enum(["auto", "always", "never"]),
    certManager: boolish,
    provisioningKeyDriftInterval: durationMs(10_000, 24 * 3_600_000, "between 10s and 24h"),
    orderSettleMs: z.coerce.number().int().min(100).max(3_600_000).optional(),
  })
  .superRefine((c, ctx) => {
    // client-go's rule: a leader must give up before a standby may take over, and must get several
    // renewal attempts (retries are jittered by up to 20 %) before it gives up.
    if (c.leaderElectionRenewDeadline >= c.leaderElectionLeaseDuration)
      ctx.addIssue({ code: "custom", path: ["leaderElectionRenewDeadline"], message: "must be shorter than --leader-election-lease-duration" });
    if (c.leaderElectionRetryPeriod * 1.2 >= c.leaderElectionRenewDeadline)
      ctx.addIssue({ code: "custom", path: ["leaderElectionRetryPeriod"], message: "must be under 1/1.2 of --leader-election-renew-deadline" });
  });
export type OperatorConfig = z.infer<typeof OperatorConfig>;

const SERVICE_ACCOUNT_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

function podNamespace(): string | undefined {
  try {
    return readFileSync(SERVICE_ACCOUNT_NAMESPACE, "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Flags win over environment variables, which win over defaults. Throws a readable error on bad input. */
export function loadOperatorConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): OperatorConfig {
  const options = Object.fromEntries(Object.values(settings).map((s) => [s.flag, { type: "string" as const }]));
  const { values } = parseArgs({ args: argv, options, allowPositionals: false, strict: true });
  const raw: Record<string, string | undefined> = {};
  for (const [name, s] of Object.entries(settings) as Array<[SettingName, (typeof settings)[SettingName]]>) {
    raw[name] = (values[s.flag] as string | undefined) ?? env[s.env] ?? ("default" in s ? s.default : undefined);
  }
  raw.leaderElectionNamespace ??= env.POD_NAMESPACE ?? podNamespace() ?? "default";
  raw.identity ??= `${hostname()}-${randomBytes(3).toString("hex")}`;
  const parsed = OperatorConfig.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const s = settings[i.path[0] as SettingName];
      return `  --${s?.flag ?? String(i.path[0])} (${s?.env ?? "?"}): ${i.message}`;
    });
    throw new Error(`invalid configuration:\n${problems.join("\n")}`);
  }
  return parsed.data;
}

export function configHelp(): string {
  const all = Object.values(settings);
  const flagWidth = Math.max(...all.map((s) => s.flag.length));
  const envWidth = Math.max(...all.map((s) => s.env.length));
  return all.map((s) => `  --${s.flag.padEnd(flagWidth)} ${s.env.padEnd(envWidth)} ${s.help}${"default" in s ? ` (default ${s.default})` : ""}`).join("\n");
}
