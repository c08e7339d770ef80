// The certbridge CLI (issue 15) against the real control plane, the simulators and a real operator
// process scoped to this file's namespace, with resources in known states: Ready (Cloudflare), pending
// (a Sectigo order the simulator takes an hour to issue), failed (a connection with a refused token)
// and conflict (a foreign Secret at spec.secretName). Commands run in-process with piped output (as a
// script sees them), and through the real kubectl plugin mechanism and bash completion once each.
import { spawn, spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { once } from "node:events";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { kubeconfigForUser } from "../harness/identity.ts";
import { adminClient, eventually, freshNamespace } from "../harness/kube.ts";
import { type OperatorProcess, startOperatorProcess } from "../harness/operator-process.ts";
import { ensureKubectl } from "../harness/tools.ts";
import { annotations, resourceTypes } from "../../src/api/v1alpha1/index.ts";
import { renewCommand, rotateCommand } from "../../src/commands/cli/annotate.ts";
import { checkCommand } from "../../src/commands/cli/check.ts";
import { completeCommandFor, completionCommand } from "../../src/commands/cli/completion.ts";
import { getCommand } from "../../src/commands/cli/get.ts";
import { inspectCommand } from "../../src/commands/cli/inspect.ts";
import type { CliIo } from "../../src/commands/cli/io.ts";
import { nextStepFor, plainText } from "../../src/commands/cli/next-steps.ts";
import { statusCommand } from "../../src/commands/cli/status.ts";
import type { StatusReport } from "../../src/commands/cli/status/report.ts";
import type { KubeClient } from "../../src/runtime/kube/client.ts";
import { core, type KubeObject } from "../../src/runtime/kube/resource.ts";
import { startSimulators, type RunningSimulators } from "../../src/sim/index.ts";
import type { SectigoSimulator } from "../../src/sim/sectigo/server.ts";
import { SEED } from "../../src/sim/sectigo/testing.ts";

interface Condition {
  type: string;
  status: string;
  reason: string;
}
interface Resource extends KubeObject {
  spec: Record<string, unknown>;
  status?: {
    conditions?: Condition[];
    revision?: number;
    vendorRef?: string;
    pendingIssuance?: { state: string; nextPollTime?: string };
    observedRotateRequest?: string;
  };
}
type Secret = KubeObject & { type?: string; data?: Record<string, string>; stringData?: Record<string, string> };

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const b64 = (s: string) => Buffer.from(s).toString("base64");
const ANSI = /\x1b\[/;

let client: KubeClient;
let sims: RunningSimulators;
let operator: OperatorProcess;
let ns: string;
let scratch: string;
let kubeconfig: string;

/** A command run in-process as a script would run it: stdout piped, no terminal. */
async function cli(
  command: (args: string[], io: CliIo) => Promise<number>,
  args: string[],
  opts: { tty?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io: CliIo = {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    env: { KUBECONFIG: kubeconfig, ...opts.env },
    isTTY: opts.tty ?? false,
    columns: opts.tty ? 100 : undefined,
    now: () => new Date(),
    program: "certbridge",
  };
  const code = await command(args, io);
  return { code, out, err };
}

const getMc = (name: string) => client.get<Resource>(resourceTypes.managedCertificates, ns, name);
const cond = (r: Resource, type: string) => r.status?.conditions?.find((c) => c.type === type);

async function mcWhen(name: string, what: string, check: (r: Resource) => boolean): Promise<Resource> {
  return eventually(
    `${name}: ${what}`,
    async () => {
      const r = await getMc(name);
      return check(r) ? r : undefined;
    },
    60_000,
    200,
  );
}

function cfSpec(secretName: string, connection = "cf"): Record<string, unknown> {
  return {
    connectionRef: { name: connection },
    secretName,
    commonName: `${secretName}.example.com`,
    privateKey: { algorithm: "ECDSA", size: 256 },
    cloudflare: { validityDays: 30 },
  };
}

beforeAll(async () => {
  client = adminClient();
  kubeconfig = inject("kubeconfigPath");
  scratch = await mkdtemp(join(tmpdir(), "cli-test-"));
  sims = await startSimulators({ https: false });
  // Pending: the Sectigo simulator takes an hour to issue, so the order stays in flight for the whole file.
  (sims.sims.sectigo as unknown as SectigoSimulator).model.issuance.delayMs = 3_600_000;
  ns = await freshNamespace(client, "cli");

  const cf = sims.credentials.cloudflare as { apiToken: string; zoneId: string };
  const sc = sims.credentials.sectigo as { login: string; password: string; customerUri: string };
  const zpa = sims.credentials.zpa as { clientId: string; clientSecret: string; customerId: string };
  const secret = (name: string, data: Record<string, string>) => client.create<Secret>(core.secrets, { metadata: { name, namespace: ns }, stringData: data });
  const connection = (name: string, spec: Record<string, unknown>) =>
    client.create(resourceTypes.vendorConnections, { metadata: { name, namespace: ns }, spec } as KubeObject);
  await secret("cf-creds", { apiToken: cf.apiToken });
  await secret("cf-bad-creds", { apiToken: "not-a-token-the-simulator-knows" });
  await secret("scm-creds", { login: sc.login, password: sc.password });
  await secret("zpa-creds", { clientId: zpa.clientId, clientSecret: zpa.clientSecret });
  await connection("cf", { credentialsRef: { name: "cf-creds" }, cloudflare: { baseUrl: sims.urls.cloudflare, zoneId: cf.zoneId } });
  await connection("cf-bad", { credentialsRef: { name: "cf-bad-creds" }, cloudflare: { baseUrl: sims.urls.cloudflare, zoneId: cf.zoneId } });
  await connection("scm", { credentialsRef: { name: "scm-creds" }, sectigo: { baseUrl: sims.urls.sectigo, customerUri: sc.customerUri, orgId: SEED.orgId } });
  await connection("zpa", { credentialsRef: { name: "zpa-creds" }, zpa: { baseUrl: sims.urls.zpa, customerId: zpa.customerId } });
  // Conflict: someone else's Secret already sits where a certificate wants to write.
  await client.create<Secret>(core.secrets, {
    metadata: { name: "taken-tls", namespace: ns },
    type: "kubernetes.io/tls",
    data: { "tls.crt": "", "tls.key": "" },
  });

  const mc = (name: string, spec: Record<string, unknown>, labels?: Record<string, string>) =>
    client.create(resourceTypes.managedCertificates, { metadata: { name, namespace: ns, ...(labels ? { labels } : {}) }, spec } as KubeObject);
  await mc("ready", cfSpec("ready-tls"), { team: "cli" });
  await mc("failed", cfSpec("failed-tls", "cf-bad"));
  await mc("conflict", cfSpec("taken-tls"), { team: "cli" });
  await mc("pending", {
    connectionRef: { name: "scm" },
    secretName: "pending-tls",
    dnsNames: [`${ns}.example.com`],
    privateKey: { algorithm: "ECDSA", size: 256 },
    sectigo: { type: "SSL", profile: { name: "OV SSL" }, customFields: SEED.sslCustomFields },
  });
  await client.create(resourceTypes.provisioningKeys, {
    metadata: { name: "key", namespace: ns },
    spec: { connectionRef: { name: "zpa" }, associationType: "CONNECTOR_GRP", group: { name: "Connector Group A" }, maxUsage: 3, secretName: "key-secret" },
  } as KubeObject);

  operator = startOperatorProcess([
    "--kubeconfig",
    kubeconfig,
    "--namespaces",
    ns,
    "--leader-election-namespace",
    ns,
    "--rate-limit-warm-up",
    "never",
    "--log-level",
    "warn",
  ]);
  await mcWhen("ready", "Ready", (r) => cond(r, "Ready")?.status === "True");
  await mcWhen(
    "pending",
    "an order pending at Sectigo, its next poll planned",
    (r) => r.status?.pendingIssuance?.state === "Pending" && r.status.pendingIssuance.nextPollTime !== undefined,
  );
  await mcWhen("failed", "failed", (r) => cond(r, "Ready")?.status === "False" && cond(r, "Ready")?.reason !== "Pending");
  await mcWhen("conflict", "SecretConflict", (r) => cond(r, "Ready")?.reason === "SecretConflict");
  await eventually(
    "the key Ready",
    async () => cond(await client.get<Resource>(resourceTypes.provisioningKeys, ns, "key"), "Ready")?.status === "True",
    60_000,
    200,
  );
}, 180_000);

afterAll(async () => {
  if (operator && operator.child.exitCode === null) {
    operator.child.kill("SIGTERM");
    await operator.exited();
  }
  await sims?.close();
  await client?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe("certbridge status", () => {
  it("Ready: walks the chain — conditions, revision, vendor ref, validity and renewal, connection, budget, Secret (owner, hash), key Secret, Events — and exits 0", async () => {
    const mc = await getMc("ready");
    // The Issued Event is sent after the status write that made it Ready, without waiting: it may land later.
    await eventually(
      "the Issued Event of mcert/ready",
      async () =>
        (await client.list<KubeObject & { reason?: string; regarding?: { name?: string } }>(core.events, { namespace: ns })).items.some(
          (e) => e.reason === "Issued" && e.regarding?.name === "ready",
        ),
      30_000,
      200,
    );
    const { code, out, err } = await cli(statusCommand, [`mcert/ready`, "-n", ns]);
    expect(err).toBe("");
    expect(code).toBe(0);
    expect(out).not.toMatch(ANSI); // piped: plain
    expect(out).toMatch(new RegExp(`^ManagedCertificate ${ns}/ready  Ready \\(Issued, `));
    expect(out).toContain(`cloudflare, revision 1, vendor ref ${mc.status!.vendorRef}`);
    for (const label of ["not before", "not after", "renews at", "none pending"]) expect(out).toContain(label);
    expect(out).toMatch(new RegExp(`connection +VendorConnection ${ns}/cf: cloudflare, Ready \\(Verified, `));
    expect(out).toMatch(
      /budget +100 paid issuances per hour \(default; the operator counts them in memory\); in flight through it: 0 orders placed within the hour; none reports BudgetExhausted/,
    );
    expect(out).toMatch(new RegExp(`secret +${ns}/ready-tls: present \\(kubernetes.io/tls\\), owned by ManagedCertificate ready \\(this resource\\)`));
    expect(out).toMatch(/content hash [0-9a-f]{12}… \(matches the data\), revision 1/);
    expect(out).toContain(`key secret    ${ns}/ready-certbridge-key: present`);
    expect(out).toMatch(/events \(newest first\)\n  AGE +TYPE +REASON +NOTE\n.*Normal +Issued/);
    expect(out).toMatch(/next step +nothing to do\n$/);

    const json = await cli(statusCommand, ["managedcertificate/ready", "-n", ns, "-o", "json"]);
    const report = JSON.parse(json.out) as StatusReport;
    expect(report).toMatchObject({
      ready: "True",
      readyReason: "Issued",
      certificate: { revision: 1, vendorRef: mc.status!.vendorRef },
      secret: { owner: "this", hashMatches: true },
    });
    expect(report.nextStep).toBeUndefined();
  });

  it("pending: the order at Sectigo, its vendor ref and next poll; the README's step for Pending; exits 1", async () => {
    const { code, out } = await cli(statusCommand, ["pending", "-n", ns]); // a bare name finds the one resource so named
    expect(code).toBe(1);
    expect(out).toMatch(new RegExp(`^ManagedCertificate ${ns}/pending  Not Ready \\(Pending, `));
    expect(out).toMatch(
      /order +revision 1: Pending, vendor ref ssl:\d+, intent recorded .* ago, 1 paid call, (asked \d+ times?, )?next poll (in \S+|now|\S+ ago)/,
    );
    expect(out).toContain(`next step     Ready Pending: ${plainText(nextStepFor("Pending", "ManagedCertificate")!)}`);
  });

  it("failed: the connection's refusal, the failure backoff and the README's step for the reason; exits 1", async () => {
    const mc = await getMc("failed");
    const reason = cond(mc, "Ready")!.reason;
    const { code, out } = await cli(statusCommand, ["mcert/failed", "-n", ns]);
    expect(code).toBe(1);
    expect(out).toMatch(new RegExp(`connection +VendorConnection ${ns}/cf-bad: cloudflare, Not Ready \\(CredentialsInvalid, `));
    expect(out).toMatch(/backoff +\d+ failed attempts? in a row, last .* ago; next attempt (in \S+|due now)/);
    expect(out).toContain(`next step     Ready ${reason}: ${plainText(nextStepFor(reason, "ManagedCertificate")!)}`);
  });

  it("conflict: the foreign Secret, left untouched, and the README's step for SecretConflict; exits 1", async () => {
    const { code, out } = await cli(statusCommand, ["mcert/conflict", "-n", ns]);
    expect(code).toBe(1);
    expect(out).toMatch(
      new RegExp(`secret +${ns}/taken-tls: present \\(kubernetes.io/tls\\), not written by certbridge \\(no owner labels\\): left untouched`),
    );
    expect(out).toContain(`next step     Ready SecretConflict: ${plainText(nextStepFor("SecretConflict", "ManagedCertificate")!)}`);
  });

  it("a connection and a key have their own screens; a missing resource exits 3; a terminal gets colour and lines that fit", async () => {
    const conn = await cli(statusCommand, ["vconn/cf-bad", "-n", ns]);
    expect(conn.code).toBe(1);
    expect(conn.out).toMatch(new RegExp(`credentials +Secret ${ns}/cf-bad-creds: present, keys apiToken \\(values not shown\\)`));
    expect(conn.out).toContain(`next step     Ready CredentialsInvalid: ${plainText(nextStepFor("CredentialsInvalid", "VendorConnection")!)}`);
    const key = await cli(statusCommand, ["pkey/key", "-n", ns]);
    expect(key.code).toBe(0);
    expect(key.out).toMatch(/zpa key +"certbridge\.[^"]+\.key", id \d+, group Connector Group A, enabled, usage 0 of 3/);
    expect((await cli(statusCommand, ["mcert/nope", "-n", ns])).code).toBe(3);
    expect((await cli(statusCommand, ["bogus/x", "-n", ns])).code).toBe(2);

    const tty = await cli(statusCommand, ["mcert/failed", "-n", ns], { tty: true });
    expect(tty.out).toMatch(ANSI);
    const visible = tty.out.replace(/\x1b\[[0-9;]*m/g, "").split("\n");
    expect(visible.filter((l) => l.length > 100)).toEqual([]);
    expect((await cli(statusCommand, ["mcert/failed", "-n", ns], { tty: true, env: { NO_COLOR: "1" } })).out).not.toMatch(ANSI);
  });
});

describe("certbridge get", () => {
  it("one table across the kinds: Ready, reason, vendor, expiry and the next action", async () => {
    const { code, out } = await cli(getCommand, ["-n", ns]);
    expect(code).toBe(0);
    const row = (name: string) => out.split("\n").find((l) => l.startsWith(`${name} `)) ?? "";
    expect(out.split("\n")[0]).toMatch(/^NAME +READY +REASON +VENDOR +EXPIRES +AGE +NEXT$/);
    expect(row("mcert/ready")).toMatch(/True +Issued +cloudflare +in 29d\S* +\S+ +renew in \d+d/);
    expect(row("mcert/pending")).toMatch(/False +Pending +sectigo +- +\S+ +poll (in \S+|due)$/);
    expect(row("mcert/conflict")).toMatch(
      /False +SecretConflict +cloudflare .* choose another secretName, or delete the foreign Secret if it is really unused$/,
    );
    expect(row("mcert/failed")).toMatch(/False +\w+ +cloudflare/);
    expect(row("pkey/key")).toMatch(/True +Created +zpa/);
    expect(row("vconn/cf-bad")).toMatch(/False +CredentialsInvalid +cloudflare .* fix the credentials Secret$/);
    expect(row("vconn/scm")).toMatch(/True +Verified +sectigo/);

    const json = JSON.parse((await cli(getCommand, ["mcert", "-n", ns, "-o", "json"])).out) as Array<{ name: string; reason: string; next: string }>;
    expect(json.map((r) => r.name).sort()).toEqual(["conflict", "failed", "pending", "ready"]);
  });
});

/** Every way the private key could leak: PEM armour, the Secret's base64 of it, the PEM body and lines, the DER in hex. */
function keyLeaks(text: string, keyPem: string): string[] {
  const body = keyPem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
  const der = Buffer.from(body, "base64");
  const needles = ["PRIVATE KEY", b64(keyPem), body, ...keyPem.split("\n").filter((l) => l.length >= 32 && !l.startsWith("-----")), der.toString("hex")];
  return needles.filter((n) => text.includes(n));
}

describe("certbridge inspect secret", () => {
  it("decodes the TLS Secret (subject, SANs, issuer, validity, key type, match, fingerprints) and prints no key material, as text or JSON", async () => {
    const secret = await client.get<Secret>(core.secrets, ns, "ready-tls");
    const keyPem = Buffer.from(secret.data!["tls.key"]!, "base64").toString();
    const leaf = new X509Certificate(Buffer.from(secret.data!["tls.crt"]!, "base64").toString());
    const { code, out } = await cli(inspectCommand, ["secret", "ready-tls", "-n", ns]);
    expect(code).toBe(0);
    expect(out).toContain("written by    certbridge for ManagedCertificate ready, revision 1");
    expect(out).toMatch(/subject +CN=ready-tls\.example\.com/);
    expect(out).toContain(`SHA-256       ${leaf.fingerprint256}`);
    expect(out).toContain(`serial        ${leaf.serialNumber.toLowerCase()}`);
    expect(out).toContain("private key   ECDSA P-256 (PKCS#8), matches the leaf certificate; the key itself is never shown");
    expect(keyLeaks(out, keyPem)).toEqual([]);
    const json = await cli(inspectCommand, ["secret", "ready-tls", "-n", ns, "-o", "json"]);
    expect(JSON.parse(json.out)).toMatchObject({ privateKey: { type: "ECDSA P-256", matchesLeaf: true }, problems: [] });
    expect(keyLeaks(json.out, keyPem)).toEqual([]);

    // The operator's key Secret: a key and nothing else to show.
    const keySecret = await client.get<Secret>(core.secrets, ns, "ready-certbridge-key");
    const stored = await cli(inspectCommand, ["secret", "ready-certbridge-key", "-n", ns]);
    expect(keyLeaks(stored.out, Buffer.from(keySecret.data!["tls.key"]!, "base64").toString())).toEqual([]);
    expect((await cli(inspectCommand, ["secret", "nope", "-n", ns])).code).toBe(3);
  });
});

describe("certbridge check", () => {
  it("all good for the admin: API, identity, CRDs at this version, the operator leading, every grant of the chart", async () => {
    const { code, out } = await cli(checkCommand, ["--operator-namespace", ns]);
    expect(out).toMatch(/^ok {4}API server https:\/\/\S+ reachable \(Kubernetes v1\.\d+/m);
    expect(out).toMatch(/^ok {4}CRDs: all \d+ installed, v1alpha1 served and stored, schemas match this certbridge$/m);
    expect(out).toMatch(new RegExp(`^ok {4}operator: \\S+ is leading \\(Lease ${ns}/certbridge-leader renewed`, "m"));
    expect(out).toMatch(/^ok {4}RBAC: the current identity may do all \d+ things the chart grants the operator/m);
    expect(code).toBe(0);
  });

  it("fails, saying why, for an identity without grants and where no operator leads", async () => {
    const nobody = await kubeconfigForUser(kubeconfig, scratch, "cli-nobody");
    const { code, out } = await cli(checkCommand, ["--kubeconfig", nobody, "--operator-namespace", "default"]);
    expect(code).toBe(1);
    expect(out).toMatch(/^ok {4}identity: cli-nobody/m);
    expect(out).toMatch(/^FAIL {2}CRDs: .*\n {8}managedcertificates\.certbridge\.dev: cannot read it \(access refused\)/m);
    expect(out).toMatch(/^FAIL {2}RBAC: the current identity may not do (\d+) of the \1 things/m);
    expect(out).toMatch(/^ {8}cannot patch certbridge\.dev\/managedcertificates\/status cluster-wide$/m);
    const noLeader = await cli(checkCommand, ["--operator-namespace", "default", "--leader-election-id", "no-such-lease"]);
    expect(noLeader.code).toBe(1);
    expect(noLeader.out).toMatch(/^FAIL {2}operator: no leader Lease default\/no-such-lease/m);
  });
});

describe("certbridge renew and rotate", () => {
  it("renew sets the annotation the controller acts on (by name, and --all -l for a label); the certificate is re-issued", async () => {
    const one = await cli(renewCommand, ["ready", "-n", ns]);
    expect(one.code).toBe(0);
    const value = (await getMc("ready")).metadata.annotations?.[annotations.renewRequest];
    expect(one.out).toContain(`mcert/ready in ${ns}: renewal requested (${annotations.renewRequest}=${value})`);
    // On a timeout, say what status shows: the CLI's own report is the clearest account.
    await mcWhen("ready", "revision 2", (r) => (r.status?.revision ?? 0) >= 2 && cond(r, "Ready")?.status === "True").catch(async (e: unknown) => {
      throw new Error(`${String(e)}\n${(await cli(statusCommand, ["mcert/ready", "-n", ns])).out}`);
    });

    const labelled = await cli(renewCommand, ["--all", "-l", "team=cli", "-n", ns]);
    expect(labelled.code).toBe(0);
    expect(
      labelled.out
        .split("\n")
        .filter((l) => l.includes("renewal requested"))
        .map((l) => l.split(" ")[0]),
    ).toEqual(["mcert/conflict", "mcert/ready"]);
    expect((await getMc("pending")).metadata.annotations?.[annotations.renewRequest]).toBeUndefined();
    expect((await cli(renewCommand, ["nope", "-n", ns])).code).toBe(3);
    expect((await cli(renewCommand, ["-n", ns])).code).toBe(2);
  });

  it("rotate sets the rotate-request annotation; the key is rotated", async () => {
    const { code } = await cli(rotateCommand, ["key", "-n", ns]);
    expect(code).toBe(0);
    const pk = await client.get<Resource>(resourceTypes.provisioningKeys, ns, "key");
    const value = pk.metadata.annotations?.[annotations.rotateRequest];
    expect(value).toBeDefined();
    await eventually(
      "the rotation carried out",
      async () => (await client.get<Resource>(resourceTypes.provisioningKeys, ns, "key")).status?.observedRotateRequest === value,
      60_000,
      200,
    );
  });
});

describe("the kubectl plugin and shell completion", () => {
  it("`kubectl certbridge …` runs the CLI through kubectl's plugin mechanism, with exit codes, plain output when piped, and completion", async () => {
    const kubectl = await ensureKubectl();
    const bin = join(scratch, "plugin-bin");
    await shim(bin, "kubectl-certbridge", join(REPO, "bin", "kubectl-certbridge.js"));
    const env = { ...process.env, KUBECONFIG: kubeconfig, PATH: `${bin}${delimiter}${process.env.PATH}` };
    const get = await run(kubectl, ["certbridge", "get", "-n", ns], env);
    expect(get.code).toBe(0);
    expect(get.out).toMatch(/^mcert\/pending +False +Pending/m);
    expect(get.out).not.toMatch(ANSI);
    expect((await run(kubectl, ["certbridge", "status", "mcert/pending", "-n", ns], env)).code).toBe(1);
    expect((await run(kubectl, ["certbridge", "--help"], env)).err).toMatch(/^usage: kubectl certbridge <command>/);
    // kubectl's own completion of `kubectl certbridge …` asks kubectl_complete-certbridge (Cobra's protocol).
    await shim(bin, "kubectl_complete-certbridge", join(REPO, "bin", "kubectl_complete-certbridge.js"));
    const completed = await run(kubectl, ["__complete", "certbridge", "rotate", "-n", ns, ""], env);
    expect(completed.out).toBe("key\n:4\n");
  });

  it("bash completion from the command table: commands, kinds, and names from the cluster", async () => {
    const bin = join(scratch, "completion-bin");
    await shim(bin, "certbridge", join(REPO, "bin", "certbridge.js"));
    const script = (await cli(completionCommand, ["bash"])).out;
    const complete = async (...words: string[]) => {
      const line = `source /dev/stdin <<'EOF'\n${script}EOF\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; __certbridge_complete; printf '%s\\n' "\${COMPREPLY[@]}"`;
      return (await run("bash", ["-c", line], { ...process.env, KUBECONFIG: kubeconfig, PATH: `${bin}${delimiter}${process.env.PATH}` })).out
        .trim()
        .split("\n");
    };
    expect(await complete("certbridge", "sta")).toEqual(["status"]);
    expect(await complete("certbridge", "renew", "-n", ns, "")).toEqual(["conflict", "failed", "pending", "ready"]);
    expect(await complete("certbridge", "status", "-n", ns, "pkey/")).toEqual(["pkey/key"]);
    // The answers come from the same table in-process (what zsh and fish ask too).
    let answer = "";
    const io: CliIo = {
      out: (t) => void (answer += t),
      err: () => {},
      env: {},
      isTTY: false,
      columns: undefined,
      now: () => new Date(),
      program: "certbridge",
    };
    await completeCommandFor([{ name: "status", summary: "" }])(["status", "-o", ""], io);
    expect(answer).toBe("json\nyaml\n:4\n");
  });

  it.skipIf(!has("zsh"))("zsh completion: the same answers through zsh's _describe", async () => {
    const bin = join(scratch, "completion-bin");
    await shim(bin, "certbridge", join(REPO, "bin", "certbridge.js"));
    const script = join(scratch, "certbridge.zsh");
    await writeFile(script, (await cli(completionCommand, ["zsh"])).out);
    // compdef and _describe stand in for compinit's: print what would be offered.
    const probe = `compdef() { : }; _describe() { shift 2; print -rl -- "\${(@P)2}" }; source ${script}; words=(certbridge renew -n ${ns} ''); CURRENT=5; __certbridge_complete`;
    const { out } = await run("zsh", ["-c", probe], { ...process.env, KUBECONFIG: kubeconfig, PATH: `${bin}${delimiter}${process.env.PATH}` });
    expect(out.trim().split("\n")).toEqual(["conflict", "failed", "pending", "ready"]);
  });

  it.skipIf(!has("fish"))("fish completion: the same answers through fish's complete -C", async () => {
    const bin = join(scratch, "completion-bin");
    await shim(bin, "certbridge", join(REPO, "bin", "certbridge.js"));
    const script = join(scratch, "certbridge.fish");
    await writeFile(script, (await cli(completionCommand, ["fish"])).out);
    const { out } = await run("fish", ["-c", `source ${script}; complete -C "certbridge status -n ${ns} pkey/"`], {
      ...process.env,
      KUBECONFIG: kubeconfig,
      PATH: `${bin}${delimiter}${process.env.PATH}`,
    });
    expect(out.trim()).toBe("pkey/key");
  });
});

/** An executable named `name` in `dir` that runs `script` with this Node (the pinned one, which runs TypeScript). */
async function shim(dir: string, name: string, script: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, name);
  await writeFile(path, `#!/bin/sh\nexec "${process.execPath}" "${script}" "$@"\n`);
  await chmod(path, 0o755);
}

const has = (shell: string): boolean => spawnSync(shell, ["--version"], { stdio: "ignore" }).status === 0;

async function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (err += c.toString()));
  // "close", not "exit": the process can be gone while the last of its output is still in the pipe.
  const [code] = (await once(child, "close")) as [number | null];
  return { code, out, err };
}
