// The CertificateAuthority contract (src/ports/certificate-authority.ts), one suite for every vendor
// adapter, as cert-manager's issuer conformance suite is one suite for every issuer: the same cases
// run against the Cloudflare and the Sectigo adapter, each over its real HTTP simulator. A vendor
// differs only in what its subject below declares (how it is reached, whether issuance waits);
// everything the controllers rely on must hold for both (and for Sectigo under either login).
import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import type { Dispatcher } from "undici";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  submitMayHavePlaced,
  type CertificateAuthority,
  type CertificateOrder,
  type CertificateOrderOptions,
  type IssueOutcome,
  type OrderIntent,
} from "../../ports/certificate-authority.ts";
import { isRetryable, VendorError, type VendorErrorKind } from "../../ports/vendor-error.ts";
import { createCsr } from "../../pki/csr.ts";
import { inspectCertificate, keyMatchesCertificate, verifyChain } from "../../pki/inspect.ts";
import { generateKey } from "../../pki/keys.ts";
import { splitCertificates, toPem } from "../../pki/pem.ts";
import { pemToDer } from "../../pki/formats.ts";
import { createTestCa, type TestCa } from "../../pki/test-ca.ts";
import { createResponseLost, startCloudflareSimulator, type CloudflareSimulator } from "../../sim/cloudflare/index.ts";
import type { FaultSpec, FaultsApi } from "../../sim/shared/faults.ts";
import { enrollResponseLost, startSectigoSimulator, type SectigoSimulator } from "../../sim/sectigo/index.ts";
import { clientFor, SEED } from "../../sim/sectigo/testing.ts";
import { CloudflareCertificateAuthority } from "../cloudflare/certificate-authority.ts";
import { CloudflareClient } from "../cloudflare/client.ts";
import { SectigoCertificateAuthority } from "../sectigo/certificate-authority.ts";
import { createSectigoClient } from "../sectigo/client.ts";
import { createDispatcher } from "../shared/dispatcher.ts";
import { vendorFailure } from "./failure.ts";

/** What the suite needs to know about one vendor; nothing else of the vendor leaks into the cases. */
interface Subject {
  readonly vendor: "cloudflare" | "sectigo";
  /** How the adapter's client logs in, where a vendor offers more than one way. */
  readonly login?: "certificate";
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Back to an empty account, default issuance and no faults. */
  reset(): void;
  /** An adapter over a fresh client (its own pacing state), with the simulator's credentials or bad ones. */
  authority(opts?: { readonly badCredentials?: boolean }): CertificateAuthority;
  readonly faults: () => FaultsApi;
  readonly ca: () => TestCa;
  /** The spec's vendor block for a plain order. */
  readonly vendorOptions: CertificateOrderOptions;
  /** "METHOD /path" pattern of the collect call, for injected faults. */
  readonly collectPattern: string;
  /** The paid call answers, then the answer is lost (the order exists). */
  readonly loseOrderAnswer: FaultSpec;
  /** Asynchronous vendors: make the next orders answer "not yet" this many times before issuing. */
  readonly pendingPolls?: (n: number) => void;
  /** A vendorRef of the right form that names no order. */
  readonly unknownRef: string;
  /** The vendor's code for a CSR whose signature does not verify. */
  readonly badCsrSignatureCode: string;
  /** How many orders the vendor account holds. */
  ordersHeld(): number;
}

let cloudflare: CloudflareSimulator;
let sectigo: SectigoSimulator;
let sectigoTls: SectigoSimulator;
let stranger: { certPem: string; keyPem: string };
const dispatchers: Dispatcher[] = [];

/** A Sectigo client on certificate login: the admin's (or a stranger's) certificate on the TLS connection. */
function certificateLogin(who: { certPem: string; keyPem: string }) {
  const dispatcher = createDispatcher({ caBundlePem: sectigoTls.caPem!, clientCertificate: who });
  dispatchers.push(dispatcher);
  return createSectigoClient({
    baseUrl: sectigoTls.url,
    login: sectigoTls.credentials.login,
    customerUri: sectigoTls.customerUri,
    loginWith: "certificate",
    dispatcher,
    maxAttempts: 2,
    timeoutMs: 5_000,
    backoffBaseMs: 5,
  });
}

const SUBJECTS: readonly Subject[] = [
  {
    vendor: "cloudflare",
    start: async () => {
      cloudflare = await startCloudflareSimulator({ transitionDelayMs: 0 });
    },
    stop: () => cloudflare.close(),
    reset: () => cloudflare.reset(),
    authority: (o = {}) =>
      new CloudflareCertificateAuthority(
        new CloudflareClient({
          zoneId: cloudflare.credentials.zoneId,
          auth: { kind: "apiToken", token: o.badCredentials === true ? `certbridge-sim-cloudflare-api-token-${"0bad"}` : cloudflare.credentials.apiToken },
          baseUrl: cloudflare.apiBaseUrl,
          maxAttempts: 2,
          timeoutMs: 5_000,
        }),
      ),
    faults: () => cloudflare.faults,
    ca: () => cloudflare.ca,
    vendorOptions: { vendor: "cloudflare", options: { validityDays: 30 } },
    collectPattern: "^GET /client/v4/zones/[^/]+/client_certificates/",
    loseOrderAnswer: createResponseLost(),
    unknownRef: "0".repeat(32),
    badCsrSignatureCode: "1002",
    ordersHeld: () => (cloudflare.state() as { objects: { client_certificate: number } }).objects.client_certificate,
  },
  {
    vendor: "sectigo",
    start: async () => {
      sectigo = await startSectigoSimulator();
    },
    stop: () => sectigo.close(),
    reset: () => sectigo.reset(),
    authority: (o = {}) =>
      new SectigoCertificateAuthority({
        client: clientFor(sectigo, { maxAttempts: 2, timeoutMs: 5_000, ...(o.badCredentials === true ? { password: "not-the-password" } : {}) }),
        orgId: SEED.orgId,
      }),
    faults: () => sectigo.faults,
    ca: () => sectigo.ca,
    vendorOptions: { vendor: "sectigo", options: { type: "SSL", profile: { id: SEED.sslProfile }, customFields: SEED.sslCustomFields } },
    collectPattern: "^GET /api/ssl/v1/collect/",
    loseOrderAnswer: enrollResponseLost(),
    pendingPolls: (n) => void sectigo.setIssuance({ collectsBeforeIssued: n }),
    unknownRef: "ssl:987654",
    badCsrSignatureCode: "-138",
    ordersHeld: () => sectigo.state().ordersByFamily.ssl,
  },
  {
    vendor: "sectigo",
    login: "certificate",
    start: async () => {
      sectigoTls = await startSectigoSimulator({ tls: true });
      const issued = await (await createTestCa({ name: "Stranger" })).issue(
        { commonName: sectigoTls.credentials.login },
        {},
        { usage: "client", validityDays: 30 },
      );
      stranger = { certPem: issued.leafPem, keyPem: issued.keyPem };
    },
    stop: async () => {
      await Promise.all(dispatchers.splice(0).map((d) => d.close()));
      await sectigoTls.close();
    },
    reset: () => sectigoTls.reset(),
    authority: (o = {}) =>
      new SectigoCertificateAuthority({ client: certificateLogin(o.badCredentials === true ? stranger : sectigoTls.adminCertificate!), orgId: SEED.orgId }),
    faults: () => sectigoTls.faults,
    ca: () => sectigoTls.ca,
    vendorOptions: { vendor: "sectigo", options: { type: "SSL", profile: { id: SEED.sslProfile }, customFields: SEED.sslCustomFields } },
    collectPattern: "^GET /private/api/ssl/v1/collect/",
    loseOrderAnswer: { pathPattern: "^POST /private/api/ssl/v1/enroll$", lostResponseRate: 1, count: 1 },
    pendingPolls: (n) => void sectigoTls.setIssuance({ collectsBeforeIssued: n }),
    unknownRef: "ssl:987654",
    badCsrSignatureCode: "-138",
    ordersHeld: () => sectigoTls.state().ordersByFamily.ssl,
  },
];

const signal = () => AbortSignal.timeout(20_000);
const spki = (key: KeyObject): string =>
  createHash("sha256")
    .update(createPublicKey(key).export({ type: "spki", format: "der" }))
    .digest("hex");

describe.each(SUBJECTS.map((s) => ({ ...s, name: s.login === undefined ? s.vendor : `${s.vendor} (${s.login} login)` })))(
  "CertificateAuthority contract: $name",
  (subject) => {
    let ca: CertificateAuthority;
    let serial = 0;

    beforeAll(() => subject.start());
    afterAll(() => subject.stop());
    beforeEach(() => {
      subject.reset();
      ca = subject.authority();
    });

    /** An order of one resource revision, for a fresh key unless one is given. */
    async function orderOf(revision = 1, key?: KeyObject): Promise<{ order: CertificateOrder; key: KeyObject }> {
      serial++;
      const k = key ?? (await generateKey({ algorithm: "ECDSA", size: 256 })).privateKey;
      const name = `contract-${serial}.example.com`;
      const csrPem = await createCsr({ privateKey: k, subject: { commonName: name }, sans: { dnsNames: [name] } });
      return {
        key: k,
        order: {
          owner: {
            uid: `c0n7ac70-0000-4000-8000-${String(serial).padStart(12, "0")}`,
            namespace: "contract",
            name: `cert-${serial}`,
            revision,
            specHash: createHash("sha256").update(`spec-${serial}-${revision}`).digest("hex"),
          },
          csrPem,
          publicKeySha256: spki(k),
          commonName: name,
          dnsNames: [name],
          ipAddresses: [],
          emailAddresses: [],
          uris: [],
          lifetimeDays: 30,
          vendorOptions: subject.vendorOptions,
        },
      };
    }

    /** The intent the controller records before the paid call (just before: `recordedAt` is now). */
    async function intentOf(order: CertificateOrder, extra: Partial<OrderIntent> = {}): Promise<OrderIntent> {
      const fingerprint = await ca.fingerprint?.(order);
      return {
        owner: order.owner,
        specHash: order.owner.specHash!.slice(0, 16),
        publicKeySha256: order.publicKeySha256,
        lookupName: order.commonName!,
        vendorOptions: order.vendorOptions,
        recordedAt: new Date(Date.now() - 1_000),
        knownVendorRefs: [],
        ...(fingerprint === undefined ? {} : { fingerprint }),
        ...extra,
      };
    }

    /** Collect until issued, as the controller polls (bounded). */
    async function issued(vendorRef: string, order: CertificateOrder): Promise<Extract<IssueOutcome, { state: "issued" }>> {
      for (let i = 0; i < 10; i++) {
        const out = await ca.collect(vendorRef, order, signal());
        if (out.state === "issued") return out;
        expect(out.state).toBe("pending");
      }
      throw new Error(`${vendorRef} never issued`);
    }

    it("submit → (pending…) → issued: leaf first, for the order's key and names, chaining to the vendor's CA; collect again answers the same", async () => {
      const { order, key } = await orderOf();
      const placed = await ca.submit(order, signal());
      expect(placed.vendorRef).toMatch(/\S/);
      const out = placed.state === "issued" ? placed : await issued(placed.vendorRef, order);
      expect(out.vendorRef).toBe(placed.vendorRef);
      const [leaf] = splitCertificates(out.chainPem);
      expect(keyMatchesCertificate(key, leaf!)).toBe(true);
      expect((await inspectCertificate(leaf!)).subjectCn).toBe(order.commonName);
      const vendorCa = subject.ca();
      expect(verifyChain(out.chainPem, vendorCa.intermediate.certPem, out.caPem ?? vendorCa.root.certPem)).toMatchObject({ ok: true });
      const again = await ca.collect(out.vendorRef, order, signal());
      expect(again).toMatchObject({ state: "issued", vendorRef: out.vendorRef, chainPem: out.chainPem });
      expect(subject.ordersHeld()).toBe(1);
    });

    it("an asynchronous vendor answers pending (reason Pending) until the CA has issued; a synchronous one issues on submit", async () => {
      const { order } = await orderOf();
      subject.pendingPolls?.(2);
      const placed = await ca.submit(order, signal());
      if (subject.pendingPolls === undefined) {
        expect(placed.state).toBe("issued");
        return;
      }
      expect(placed).toMatchObject({ state: "pending", reason: "Pending" });
      const polls: IssueOutcome["state"][] = [];
      for (let i = 0; i < 3; i++) polls.push((await ca.collect(placed.vendorRef, order, signal())).state);
      expect(polls).toEqual(["pending", "pending", "issued"]);
    });

    it("an order whose answer was lost is found again by its intent, exactly once, and collects", async () => {
      const { order } = await orderOf();
      const intent = await intentOf(order);
      subject.faults().add(subject.loseOrderAnswer);
      const lost = await vendorFailure(ca.submit(order, signal()));
      expect(submitMayHavePlaced(lost)).toBe(true);
      const found = await ca.findOrders(intent, signal());
      expect(found).toHaveLength(1);
      expect(["issued", "pending"]).toContain(found[0]!.state);
      await issued(found[0]!.vendorRef, order);
      expect(subject.ordersHeld()).toBe(1);
    });

    it("findOrders: an order the resource already knows is not found again, nor is another revision's", async () => {
      const { order } = await orderOf(1);
      const intent = await intentOf(order);
      const placed = await ca.submit(order, signal());
      expect((await ca.findOrders(intent, signal())).map((f) => f.vendorRef)).toEqual([placed.vendorRef]);
      expect(await ca.findOrders({ ...intent, knownVendorRefs: [placed.vendorRef] }, signal())).toEqual([]);
      const { order: next } = await orderOf(2);
      const nextIntent = await intentOf({ ...next, owner: { ...next.owner, uid: order.owner.uid }, commonName: order.commonName! });
      expect(await ca.findOrders(nextIntent, signal())).toEqual([]);
    });

    it("revoke is idempotent: twice succeeds, and the order then collects as failed", async () => {
      const { order } = await orderOf();
      const placed = await ca.submit(order, signal());
      await issued(placed.vendorRef, order);
      await ca.revoke(placed.vendorRef, "superseded", signal());
      await ca.revoke(placed.vendorRef, "superseded", signal());
      expect((await ca.collect(placed.vendorRef, order, signal())).state).toBe("failed");
    });

    it("cancel of an issued order revokes it; cancelling again is done as well", async () => {
      const { order } = await orderOf();
      const placed = await ca.submit(order, signal());
      await issued(placed.vendorRef, order);
      expect(await ca.cancel(placed.vendorRef, signal())).toEqual({ done: true, how: "revoked" });
      expect(await ca.cancel(placed.vendorRef, signal())).toMatchObject({ done: true });
    });

    it("a CSR not signed by the key it names is refused: invalid, nothing placed, nothing paid", async () => {
      const { order, key } = await orderOf();
      const foreign = (await generateKey({ algorithm: "ECDSA", size: 256 })).privateKey;
      const tampered = { ...order, csrPem: withPublicKeyOf(order.csrPem, key, foreign), publicKeySha256: spki(foreign) };
      const err = await vendorFailure(ca.submit(tampered, signal()));
      expect([err.kind, err.vendorCode]).toEqual(["invalid", subject.badCsrSignatureCode]);
      expect(submitMayHavePlaced(err)).toBe(false);
      expect(subject.ordersHeld()).toBe(0);
    });

    // Every failure crosses the port as a VendorError whose kind the controller can act on.
    const ERRORS: ReadonlyArray<readonly [string, VendorErrorKind, (s: Subject, ca: CertificateAuthority, order: CertificateOrder) => Promise<unknown>]> = [
      ["a vendorRef that names no order → notFound", "notFound", (s, a, o) => a.collect(s.unknownRef, o, signal())],
      ["a vendorRef that is no reference at all → invalid", "invalid", (_s, a, o) => a.collect("not/a reference", o, signal())],
      ["credentials the vendor refuses → credentials", "credentials", (s, _a, o) => s.authority({ badCredentials: true }).submit(o, signal())],
      [
        "a collect the vendor keeps failing with 503 → transient",
        "transient",
        async (s, a, o) => {
          const placed = await a.submit(o, signal());
          s.faults().add({ fail5xxRate: 1, status5xx: 503, pathPattern: s.collectPattern });
          return a.collect(placed.vendorRef, o, signal());
        },
      ],
      [
        "a collect the vendor throttles → rateLimited, with when to come back",
        "rateLimited",
        async (s, a, o) => {
          const placed = await a.submit(o, signal());
          s.faults().add({ rate429Rate: 1, retryAfter: "1", pathPattern: s.collectPattern });
          return a.collect(placed.vendorRef, o, signal());
        },
      ],
    ];
    it.each(ERRORS)("errors are classified: %s", async (_why, kind, run) => {
      const { order } = await orderOf();
      const err = await vendorFailure(run(subject, ca, order));
      expect(err.kind).toBe(kind);
      expect(err.vendor).toBe(subject.vendor);
      if (kind === "transient" || kind === "rateLimited") expect(isRetryable(err.kind)).toBe(true);
      if (kind === "rateLimited") expect(err.retryAfterMs).toBeGreaterThan(0);
      expect(err.message).not.toMatch(/BEGIN|PRIVATE KEY/);
    });
  },
);

/** The CSR with its SubjectPublicKeyInfo swapped for another key's of the same size: its signature no longer verifies. */
function withPublicKeyOf(csrPem: string, own: KeyObject, foreign: KeyObject): string {
  const der = pemToDer(csrPem);
  const ownSpki = createPublicKey(own).export({ type: "spki", format: "der" });
  const foreignSpki = createPublicKey(foreign).export({ type: "spki", format: "der" });
  const at = der.indexOf(ownSpki);
  if (at < 0 || ownSpki.length !== foreignSpki.length) throw new Error("cannot swap the key in this CSR");
  return toPem("CERTIFICATE REQUEST", Buffer.concat([der.subarray(0, at), foreignSpki, der.subarray(at + ownSpki.length)]));
}
