import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Files the control plane and its clients need; ECDSA P-256, seven days, one CA for server and clients. */
export interface ControlPlanePki {
  readonly dir: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly serviceAccountKey: string;
  readonly serviceAccountPub: string;
}

export interface ClientCredentials {
  readonly certPem: string;
  readonly keyPem: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  await run("openssl", args, { cwd });
}

/** 16 random bytes, top bit clear: a positive serial well within RFC 5280's 20 octets. */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0]! &= 0x7f;
  return `0x${bytes.toString("hex")}`;
}

async function issue(dir: string, name: string, subject: string, extensions: string): Promise<void> {
  await openssl(
    ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject],
    dir,
  );
  await writeFile(join(dir, `${name}.ext`), extensions);
  await openssl(
    [
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      // A random serial per certificate, not -CAcreateserial: that one rewrites a shared ca.srl, and test
      // files issuing identities at the same moment read it half-written ("a2i_ASN1_INTEGER: short line").
      "-set_serial",
      randomSerial(),
      "-days",
      "7",
      "-out",
      `${name}.crt`,
      "-extfile",
      `${name}.ext`,
    ],
    dir,
  );
}

export async function createPki(dir: string): Promise<ControlPlanePki> {
  await mkdir(dir, { recursive: true });
  await openssl(
    [
      "req",
      "-x509",
      "-new",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      "ca.key",
      "-out",
      "ca.crt",
      "-days",
      "7",
      "-subj",
      "/O=certbridge-test/CN=certbridge-test-ca",
    ],
    dir,
  );
  await issue(
    dir,
    "apiserver",
    "/CN=localhost",
    "subjectAltName=DNS:localhost,IP:127.0.0.1\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
  );
  await openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "sa.key"], dir);
  await openssl(["ec", "-in", "sa.key", "-pubout", "-out", "sa.pub"], dir);
  return {
    dir,
    caCert: join(dir, "ca.crt"),
    caKey: join(dir, "ca.key"),
    serverCert: join(dir, "apiserver.crt"),
    serverKey: join(dir, "apiserver.key"),
    serviceAccountKey: join(dir, "sa.key"),
    serviceAccountPub: join(dir, "sa.pub"),
  };
}

/** A client certificate: CN is the user name, each O a group (system:masters bypasses RBAC). */
export async function issueClientCredentials(pki: ControlPlanePki, user: string, groups: readonly string[]): Promise<ClientCredentials> {
  // One file stem per call: the same user issued twice at once must not swap keys between the two.
  const stem = `client-${user.replace(/[^a-zA-Z0-9_.-]/g, "_")}-${randomBytes(4).toString("hex")}`;
  const subject = `${groups.map((g) => `/O=${g}`).join("")}/CN=${user}`;
  await issue(pki.dir, stem, subject, "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n");
  return {
    certPem: await readFile(join(pki.dir, `${stem}.crt`), "utf8"),
    keyPem: await readFile(join(pki.dir, `${stem}.key`), "utf8"),
  };
}
