// In-memory certificate vendors.
//   Cloudflare-like: a model of the API Shield client-certificate API (create answers with the PEM,
//     no owner marker, revoked certificates stay listed) under the REAL adapter
//     (src/vendors/cloudflare/certificate-authority.ts), so what the adapter matches when it looks an
//     order up is under test too.
//   Sectigo-like: the CertificateAuthority port itself: submit → pending; a person approves when the
//     tenant asks for approval; issued after a processing delay; collect until issued; orders carry
//     the marker the adapter writes, matched with the adapter's own `markerMatches`.
// An order exists from its commit on: a lookup before the commit finds nothing, even when the caller
// has already given up on its submit (see Scheduler "defer", bounded by the settle windows of ADR 0005).
import { createPublicKey, X509Certificate } from "node:crypto";
import type { CertificateAuthority, CertificateOrder, IssueOutcome } from "../../../src/ports/certificate-authority.ts";
import { VendorError } from "../../../src/ports/vendor-error.ts";
import { createTestCa, type TestCa } from "../../../src/pki/test-ca.ts";
import { x509 } from "../../../src/pki/x509.ts";
import { CloudflareCertificateAuthority } from "../../../src/vendors/cloudflare/certificate-authority.ts";
import type { CloudflareClient } from "../../../src/vendors/cloudflare/client.ts";
import { markerMatches } from "../../../src/vendors/sectigo/order-marker.ts";
import { vendorGarbled, vendorLost, vendorRefused } from "../faults.ts";
import { Invariant, type Ledger } from "../ledger.ts";
import type { Rng } from "../rng.ts";
import { currentTask, type Scheduler, type Task } from "../scheduler.ts";

export type CaVendor = "cloudflare" | "sectigo";

export type OrderState = "awaiting-approval" | "pending" | "issued" | "declined" | "revoked";

export interface OrderOwner {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly revision: number;
  readonly specHash?: string;
}

export interface OrderRecord {
  readonly ref: string;
  readonly vendor: CaVendor;
  readonly tenant: string;
  /** The resource and revision the order was placed for (what the reconciler said in its CertificateOrder). */
  readonly owner: OrderOwner;
  /** Who sent it: the namespace and resource of the reconcile task. */
  readonly actor: { readonly namespace: string; readonly key: string };
  readonly csrPem: string;
  readonly commonName: string | undefined;
  readonly dnsNames: readonly string[];
  readonly validityDays: number;
  readonly sentAt: number;
  readonly committedAt: number;
  state: OrderState;
  leafPem?: string;
  chainPem?: string;
  serial?: string;
}

export interface TenantSettings {
  /** Sectigo: a person must approve each order first. */
  readonly approval: boolean;
  /** Sectigo: how long an approved order takes to issue. */
  readonly issueDelayMs: readonly [number, number];
  /** Sectigo: how long until the approver acts. */
  readonly approveDelayMs: readonly [number, number];
}

/** The longest a vendor takes to commit a paid call after the caller gave up: inside ADR 0005's settle windows. */
export const COMMIT_DELAY_MAX_MS: Readonly<Record<CaVendor, number>> = { cloudflare: 150_000, sectigo: 9 * 60_000 };

const DAY_MS = 86_400_000;
const LIVE: ReadonlySet<OrderState> = new Set(["awaiting-approval", "pending", "issued"]);
let sharedCa: Promise<TestCa> | undefined;

/** One test CA per process: creating it costs more than a whole schedule. */
function testCa(): Promise<TestCa> {
  sharedCa ??= createTestCa({ name: "simulation" });
  return sharedCa;
}

const pemBody = (pem: string) => pem.replace(/-----[^-]+-----|\s+/g, "");

export function isLive(o: OrderRecord): boolean {
  return LIVE.has(o.state);
}

export class CertificateVendorModel {
  readonly orders: OrderRecord[] = [];
  readonly #byRef = new Map<string, OrderRecord>();
  /** Leaf PEM body → order (to recognise a certificate in a Secret). */
  readonly #byLeaf = new Map<string, OrderRecord>();
  readonly #tenants = new Map<string, { vendor: CaVendor; settings: TenantSettings }>();
  /** The order each task is submitting right now (Cloudflare requests carry no owner marker). */
  readonly #submitting = new WeakMap<Task, CertificateOrder>();
  readonly #scheduler: Scheduler;
  readonly #rng: Rng;
  readonly #ledger: Ledger;
  #seq = 0;

  constructor(scheduler: Scheduler, rng: Rng, ledger: Ledger) {
    this.#scheduler = scheduler;
    this.#rng = rng;
    this.#ledger = ledger;
  }

  addTenant(tenant: string, vendor: CaVendor, settings: TenantSettings): void {
    this.#tenants.set(tenant, { vendor, settings });
  }

  order(ref: string): OrderRecord | undefined {
    return this.#byRef.get(ref);
  }

  /** Puts an order on record as if it had been placed (for the invariants' own tests). */
  inject(o: OrderRecord): void {
    this.orders.push(o);
    this.#byRef.set(o.ref, o);
  }

  /** The order whose certificate this PEM is (leaf first), if any. */
  orderOfCertificate(pem: string): OrderRecord | undefined {
    const first = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(pem)?.[0];
    return first === undefined ? undefined : this.#byLeaf.get(pemBody(first));
  }

  #now(): number {
    return this.#scheduler.clock.now();
  }

  #visible(tenant: string, ref: string): OrderRecord | undefined {
    const o = this.#byRef.get(ref);
    return o !== undefined && o.tenant === tenant && o.committedAt <= this.#now() ? o : undefined;
  }

  #place(
    tenant: string,
    vendor: CaVendor,
    order: CertificateOrder,
    validityDays: number,
    actor: OrderRecord["actor"],
    sentAt: number,
    state: OrderState,
  ): OrderRecord {
    const ref = vendor === "cloudflare" ? `cf-${(++this.#seq).toString().padStart(4, "0")}` : `ssl:${7000 + ++this.#seq}`;
    const o: OrderRecord = {
      ref,
      vendor,
      tenant,
      owner: { ...order.owner },
      actor,
      csrPem: order.csrPem,
      commonName: order.commonName ?? order.dnsNames[0],
      dnsNames: [...order.dnsNames],
      validityDays,
      sentAt,
      committedAt: this.#now(),
      state,
    };
    this.orders.push(o);
    this.#byRef.set(ref, o);
    return o;
  }

  async #issue(o: OrderRecord): Promise<void> {
    const ca = await testCa();
    const csr = new x509.Pkcs10CertificateRequest(o.csrPem);
    const publicKey = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: "der", type: "spki" });
    const notBefore = new Date(this.#now() - 60_000);
    const signed = await ca.signPublicKey(
      publicKey,
      { ...(o.commonName === undefined ? {} : { commonName: o.commonName }) },
      { dnsNames: o.dnsNames },
      {
        usage: o.vendor === "cloudflare" ? "client" : "server",
        notBefore,
        notAfter: new Date(notBefore.getTime() + o.validityDays * DAY_MS),
      },
    );
    o.leafPem = signed.leafPem;
    o.chainPem = signed.leafPem + signed.chainPem;
    o.serial = new X509Certificate(signed.leafPem).serialNumber.toLowerCase();
    if (o.state === "pending" || o.state === "awaiting-approval") o.state = "issued";
    this.#byLeaf.set(pemBody(signed.leafPem), o);
  }

  #checkForeignWrite(o: OrderRecord, actor: OrderRecord["actor"], what: string): void {
    if (o.actor.namespace !== actor.namespace) {
      this.#ledger.flag(Invariant.NoCrossNamespaceAccess, `${actor.key} (${what}) reached order ${o.ref} placed by ${o.actor.key}`);
    }
  }

  #orderAfterDelete(task: Task | undefined, what: string): void {
    if (task?.sawDeletion)
      this.#ledger.flag(Invariant.NoOrderAfterDelete, `${task.info.key} ${what} after it had seen its resource, namespace or connection being deleted`);
  }

  /** The CertificateAuthority a reconciler gets for a resolved connection of this tenant. */
  port(tenant: string, vendor: CaVendor): CertificateAuthority {
    return vendor === "cloudflare" ? this.#cloudflarePort(tenant) : this.#sectigoPort(tenant);
  }

  // ------------------------------------------------------------------ Cloudflare: the real adapter over a model API

  #cloudflarePort(tenant: string): CertificateAuthority {
    const adapter = new CloudflareCertificateAuthority(this.#cloudflareApi(tenant) as unknown as CloudflareClient);
    // The request carries no owner: remember which order this task is placing, for the ledger.
    const submit = adapter.submit.bind(adapter);
    adapter.submit = (order, signal) => {
      const task = currentTask();
      if (task !== undefined) this.#submitting.set(task, order);
      return submit(order, signal);
    };
    return adapter;
  }

  /** The subset of CloudflareClient the adapter uses, answering in its wire types (ClientCertificate). */
  #cloudflareApi(tenant: string) {
    const s = this.#scheduler;
    const rng = this.#rng;
    const faults = (operation: string) => ({ fail: () => vendorRefused(rng, "cloudflare", operation), lost: () => vendorLost(rng, "cloudflare", operation) });
    const wire = (o: OrderRecord) => ({
      id: o.ref,
      status: o.state === "revoked" ? "revoked" : "active",
      certificatePem: o.leafPem,
      csr: o.csrPem,
      commonName: o.commonName,
      validityDays: o.validityDays,
      issuedOn: new Date(o.committedAt),
      expiresOn: new Date(o.committedAt + o.validityDays * DAY_MS),
      serialNumber: o.serial,
    });
    const notFound = (operation: string, id: string) =>
      new VendorError({ kind: "notFound", vendor: "cloudflare", operation, message: `certificate ${id} not found`, httpStatus: 404 });
    return {
      create: (req: { csr: string; validityDays: number }) => {
        const task = currentTask();
        const order = task === undefined ? undefined : this.#submitting.get(task);
        const actor = { namespace: task?.info.namespace ?? "", key: task?.info.key ?? "" };
        const sentAt = this.#now();
        this.#orderAfterDelete(task, `created a Cloudflare certificate (rev ${order?.owner.revision})`);
        return s.op({
          kind: "vendor",
          label: `cloudflare create (rev ${order?.owner.revision ?? "?"})`,
          ...faults("createClientCertificate"),
          deferMaxMs: COMMIT_DELAY_MAX_MS.cloudflare,
          effect: async () => {
            const fallback: CertificateOrder = {
              owner: { uid: "", namespace: actor.namespace, name: "", revision: -1 },
              csrPem: req.csr,
              publicKeySha256: "",
              dnsNames: [],
              ipAddresses: [],
              emailAddresses: [],
              uris: [],
              lifetimeDays: req.validityDays,
              vendorOptions: { vendor: "cloudflare", options: {} },
            };
            const o = this.#place(tenant, "cloudflare", { ...(order ?? fallback), csrPem: req.csr }, req.validityDays, actor, sentAt, "pending");
            await this.#issue(o);
            return wire(o);
          },
        });
      },
      get: (id: string) =>
        s.op({
          kind: "vendor",
          label: `cloudflare get ${id}`,
          ...faults("getClientCertificate"),
          garble: () => vendorGarbled("cloudflare", "getClientCertificate"),
          effect: () => {
            const o = this.#visible(tenant, id);
            if (o === undefined) throw notFound("getClientCertificate", id);
            return wire(o);
          },
        }),
      listAll: () =>
        s.op({
          kind: "vendor",
          label: "cloudflare list",
          ...faults("listClientCertificates"),
          effect: () => this.orders.filter((o) => o.tenant === tenant && o.committedAt <= this.#now()).map(wire),
        }),
      revoke: (id: string) => {
        const task = currentTask();
        const actor = { namespace: task?.info.namespace ?? "", key: task?.info.key ?? "" };
        return s.op({
          kind: "vendor",
          label: `cloudflare revoke ${id}`,
          ...faults("revokeClientCertificate"),
          effect: () => {
            const o = this.#visible(tenant, id);
            if (o === undefined) throw notFound("revokeClientCertificate", id);
            this.#checkForeignWrite(o, actor, "revoke");
            if (o.state === "revoked")
              throw new VendorError({
                kind: "invalid",
                vendor: "cloudflare",
                operation: "revokeClientCertificate",
                message: "certificate is already revoked",
                httpStatus: 400,
              });
            o.state = "revoked";
            return wire(o);
          },
        });
      },
    };
  }

  // ------------------------------------------------------------------ Sectigo: the port

  #sectigoPort(tenant: string): CertificateAuthority {
    const s = this.#scheduler;
    const rng = this.#rng;
    const faults = (operation: string) => ({ fail: () => vendorRefused(rng, "sectigo", operation), lost: () => vendorLost(rng, "sectigo", operation) });
    const actorOf = () => {
      const t = currentTask();
      return { namespace: t?.info.namespace ?? "", key: t?.info.key ?? "" };
    };
    const outcome = (o: OrderRecord): IssueOutcome => {
      switch (o.state) {
        case "issued":
          return { state: "issued", vendorRef: o.ref, chainPem: o.chainPem! };
        case "pending":
          return { state: "pending", vendorRef: o.ref, reason: "Pending", message: `Sectigo order ${o.ref}: submitted to the CA` };
        case "awaiting-approval":
          return { state: "pending", vendorRef: o.ref, reason: "AwaitingApproval", message: `Sectigo order ${o.ref}: awaiting approval in SCM` };
        default:
          return { state: "failed", vendorRef: o.ref, message: `Sectigo order ${o.ref} cannot issue: ${o.state}` } as unknown as IssueOutcome;
      }
    };
    const notFound = (operation: string, ref: string) =>
      new VendorError({ kind: "notFound", vendor: "sectigo", operation, message: `order ${ref} not found`, httpStatus: 404 });
    const settings = () =>
      this.#tenants.get(tenant)?.settings ?? { approval: false, issueDelayMs: [1000, 60_000] as const, approveDelayMs: [1000, 60_000] as const };
    const between = (r: readonly [number, number]) => r[0] + this.#rng.int(r[1] - r[0] + 1);
    const issueLater = (o: OrderRecord) =>
      s.at(this.#now() + between(settings().issueDelayMs), `sectigo CA issues ${o.ref}`, async () => {
        if (o.state === "pending") await this.#issue(o);
      });
    const lookupName = (order: CertificateOrder) => order.commonName ?? order.dnsNames[0];
    const markerOf = (o: OrderRecord) =>
      `[certbridge uid=${o.owner.uid} rev=${o.owner.revision}${o.owner.specHash ? ` spec=${o.owner.specHash.slice(0, 16)}` : ""}]`;

    const port = {
      submit: (order: CertificateOrder) => {
        const task = currentTask();
        const actor = actorOf();
        const sentAt = this.#now();
        this.#orderAfterDelete(task, `enrolled a Sectigo order (rev ${order.owner.revision})`);
        const days = (order.vendorOptions.vendor === "sectigo" ? order.vendorOptions.options.term : undefined) ?? (order.lifetimeDays || 30);
        return s.op({
          kind: "vendor",
          label: `sectigo enroll (rev ${order.owner.revision})`,
          ...faults("ssl.enroll"),
          deferMaxMs: COMMIT_DELAY_MAX_MS.sectigo,
          effect: (): IssueOutcome => {
            const approval = settings().approval;
            const o = this.#place(tenant, "sectigo", order, days, actor, sentAt, approval ? "awaiting-approval" : "pending");
            if (approval) {
              s.at(this.#now() + between(settings().approveDelayMs), `an SCM approver approves ${o.ref}`, () => {
                if (o.state !== "awaiting-approval") return;
                o.state = "pending";
                issueLater(o);
              });
            } else {
              issueLater(o);
            }
            return { state: "pending", vendorRef: o.ref, reason: "Pending", message: `Sectigo order ${o.ref} placed; waiting for issuance` };
          },
        });
      },
      collect: (ref: string) =>
        s.op({
          kind: "vendor",
          label: `sectigo collect ${ref}`,
          ...faults("ssl.collect"),
          garble: () => vendorGarbled("sectigo", "ssl.collect"),
          effect: () => {
            const o = this.#visible(tenant, ref);
            if (o === undefined) throw notFound("ssl.collect", ref);
            return outcome(o);
          },
        }),
      /** The port before ADR 0005 (kept while the reconciler that calls it is in the tree). */
      find: (order: CertificateOrder) =>
        s.op({
          kind: "vendor",
          label: `sectigo find (rev ${order.owner.revision})`,
          ...faults("ssl.findOrders"),
          effect: () => {
            const found = this.orders.filter(
              (o) =>
                o.tenant === tenant &&
                o.committedAt <= this.#now() &&
                o.commonName === lookupName(order) &&
                markerMatches(markerOf(o), { uid: order.owner.uid, revision: order.owner.revision }),
            );
            return found[found.length - 1]?.ref;
          },
        }),
      findOrders: (intent: { owner: { uid: string; revision: number }; specHash: string; lookupName?: string; knownVendorRefs: readonly string[] }) =>
        s.op({
          kind: "vendor",
          label: `sectigo findOrders (rev ${intent.owner.revision})`,
          ...faults("ssl.findOrders"),
          effect: () => {
            const known = new Set(intent.knownVendorRefs);
            return this.orders
              .filter(
                (o) =>
                  o.tenant === tenant &&
                  o.committedAt <= this.#now() &&
                  intent.lookupName !== undefined &&
                  o.commonName === intent.lookupName &&
                  !known.has(o.ref),
              )
              .filter((o) =>
                markerMatches(markerOf(o), {
                  uid: intent.owner.uid,
                  revision: intent.owner.revision,
                  ...(intent.specHash ? { spec: intent.specHash.slice(0, 16) } : {}),
                }),
              )
              .map((o) => ({ vendorRef: o.ref, state: o.state === "issued" ? "issued" : isLive(o) ? "pending" : "failed", placedAt: new Date(o.committedAt) }));
          },
        }),
      revoke: (ref: string) => {
        const actor = actorOf();
        return s.op({
          kind: "vendor",
          label: `sectigo revoke ${ref}`,
          ...faults("ssl.revoke"),
          effect: () => {
            const o = this.#visible(tenant, ref);
            if (o === undefined) throw notFound("ssl.revoke", ref);
            this.#checkForeignWrite(o, actor, "revoke");
            if (o.state === "revoked") return;
            if (o.state !== "issued")
              throw new VendorError({
                kind: "invalid",
                vendor: "sectigo",
                operation: "ssl.revoke",
                message: `only issued certificates can be revoked; ${ref} is ${o.state}`,
                httpStatus: 400,
              });
            o.state = "revoked";
          },
        });
      },
      /** As the adapter's cancel: decline while awaiting approval, revoke once issued, wait while the CA works. */
      cancel: (ref: string) => {
        const actor = actorOf();
        return s.op({
          kind: "vendor",
          label: `sectigo cancel ${ref}`,
          ...faults("ssl.cancel"),
          effect: () => {
            const o = this.#visible(tenant, ref);
            if (o === undefined) return { done: true, how: "gone" };
            this.#checkForeignWrite(o, actor, "cancel");
            switch (o.state) {
              case "awaiting-approval":
                o.state = "declined";
                return { done: true, how: "declined" };
              case "issued":
                o.state = "revoked";
                return { done: true, how: "revoked" };
              case "pending":
                return { done: false, message: `Sectigo order ${ref} is at the CA and cannot be stopped; it is revoked once issued` };
              default:
                return { done: true, how: "alreadyFinal" };
            }
          },
        });
      },
    };
    return port as unknown as CertificateAuthority;
  }
}
