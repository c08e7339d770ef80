import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { dump, load } from "js-yaml";
import { issueClientCredentials } from "./pki.ts";

/**
 * A kubeconfig for another identity on the shared test control plane (x509: CN = user, O = groups),
 * signed by its CA as ControlPlane.kubeconfigFor does; for tests that must run under chosen RBAC.
 */
export async function kubeconfigForUser(adminKubeconfig: string, outDir: string, user: string, groups: readonly string[] = []): Promise<string> {
  const pkiDir = join(dirname(adminKubeconfig), "pki");
  const pki = {
    dir: pkiDir,
    caCert: join(pkiDir, "ca.crt"),
    caKey: join(pkiDir, "ca.key"),
    serverCert: "",
    serverKey: "",
    serviceAccountKey: "",
    serviceAccountPub: "",
  };
  const creds = await issueClientCredentials(pki, user, groups);
  const config = load(readFileSync(adminKubeconfig, "utf8")) as { users: Array<{ user: Record<string, string> }> };
  config.users[0]!.user = {
    "client-certificate-data": Buffer.from(creds.certPem).toString("base64"),
    "client-key-data": Buffer.from(creds.keyPem).toString("base64"),
  };
  const path = join(outDir, `${user.replace(/[^a-zA-Z0-9_.-]/g, "_")}.kubeconfig`);
  writeFileSync(path, dump(config), { mode: 0o600 });
  return path;
}
