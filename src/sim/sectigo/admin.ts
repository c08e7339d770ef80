// Test hooks under /__sim/sectigo/: play the people and the CA that SCM waits on (approve, decline,
// validate a domain, reject), change the issuance mode, and seed orders with fixed ids (the
// documented examples reference ids such as 811 or 807).
import type { SimResponse, SimRoute } from "../shared/server.ts";
import { ScmFault } from "./faults.ts";
import { faultResponse } from "./http.ts";
import { FAMILIES, statusText, type Family, type Order, type SectigoModel } from "./model.ts";
import { createCsr } from "../../pki/csr.ts";
import { exportPrivateKeyPem, generateKey } from "../../pki/keys.ts";
import { asRecord, checkCsr } from "./validate.ts";

export interface IssuanceKnobs {
  readonly delayMs?: number;
  readonly collectsBeforeIssued?: number;
  readonly approvalRequired?: boolean;
}

export function applyIssuance(model: SectigoModel, knobs: Record<string, unknown>): IssuanceKnobs {
  const num = (k: string): number | undefined => {
    const v = knobs[k];
    if (v === undefined) return undefined;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw new Error(`${k} must be a non-negative integer`);
    return v;
  };
  const delayMs = num("delayMs");
  const collects = num("collectsBeforeIssued");
  const approval = knobs["approvalRequired"];
  if (approval !== undefined && typeof approval !== "boolean") throw new Error("approvalRequired must be a boolean");
  if (delayMs !== undefined) model.issuance.delayMs = delayMs;
  if (collects !== undefined) model.issuance.collectsBeforeIssued = collects;
  if (approval !== undefined) model.issuance.approvalRequired = approval;
  return { ...model.issuance };
}

export function orderSummary(o: Order): Record<string, unknown> {
  return {
    family: o.family,
    id: o.id,
    backendCertId: o.backendCertId,
    status: statusText(o),
    phase: o.phase,
    commonName: o.commonName,
    sans: o.sans,
    comments: o.comments,
    collects: o.collects,
    pendingCollects: o.pendingCollects,
    renewed: o.renewed,
    ...(o.renewedTo === undefined ? {} : { renewedTo: o.renewedTo }),
    ...(o.reasonCode === undefined ? {} : { reasonCode: o.reasonCode }),
    ...(o.dcvPending.length === 0 ? {} : { dcvPending: o.dcvPending }),
    ...(o.material === undefined ? {} : { serialHex: o.material.serialHex, notAfter: o.material.notAfter.toISOString() }),
  };
}

export interface SeedOrderInput {
  readonly family: Family;
  readonly id?: number;
  /** Required unless `keyEscrow`, where the simulator makes the key and the CSR itself. */
  readonly csr?: string;
  /** SCM holds the private key (PK agent or key escrow): keystore downloads work for this order. */
  readonly keyEscrow?: boolean;
  /** Custom locations recorded against the order (ids forced when given). */
  readonly locations?: readonly { readonly id?: number; readonly details: Record<string, string> }[];
  readonly commonName?: string;
  readonly sans?: readonly string[];
  readonly orgId?: number;
  readonly certType?: number;
  readonly term?: number;
  readonly comments?: string;
  /** "issued" signs at once; "requested" waits for approval; "applied" is on its way to the CA. */
  readonly state?: "issued" | "requested" | "applied";
  /** Imported/discovered certificates are the only ones DELETE accepts. */
  readonly imported?: boolean;
  readonly email?: string;
  readonly backendCertId?: string;
  readonly renewId?: string;
  readonly customFields?: readonly { name: string; value: string }[];
  /** With names outside the validated domains, the order waits for DCV. */
  readonly dcvMode?: string;
}

export async function seedOrder(model: SectigoModel, input: SeedOrderInput): Promise<Order> {
  let keyPem: string | undefined;
  let csrPem = input.csr;
  if (input.keyEscrow === true) {
    const key = await generateKey({ algorithm: "ECDSA", size: 256 });
    keyPem = exportPrivateKeyPem(key.privateKey);
    csrPem = await createCsr({ privateKey: key.privateKey, subject: { commonName: input.commonName ?? "seeded.example.com" } });
  }
  if (csrPem === undefined) throw new Error("csr is required (or keyEscrow)");
  const csr = await checkCsr({ csr: csrPem });
  const profile = (input.certType === undefined ? undefined : model.profile(input.family, input.certType)) ?? model.seed.profiles[input.family][0]!;
  const org = model.seed.organizations[0]!;
  const commonName = input.commonName ?? csr.commonName ?? "seeded.example.com";
  const order = model.enroll(input.family, {
    ...(input.id === undefined ? {} : { id: input.id }),
    ...(input.backendCertId === undefined ? {} : { backendCertId: input.backendCertId }),
    ...(input.renewId === undefined ? {} : { renewId: input.renewId }),
    orgId: input.orgId ?? org.id,
    profile,
    term: input.term ?? profile.terms[0] ?? 365,
    commonName,
    sans: input.sans ?? (input.family === "smime" ? [input.email ?? "person@example.com"] : []),
    csrPem: csr.pem,
    keyAlgorithm: csr.keyAlgorithm,
    keySize: csr.keySize,
    comments: input.comments ?? "",
    customFields: input.customFields ?? [],
    ...(input.dcvMode === undefined ? {} : { dcvMode: input.dcvMode }),
    imported: input.imported === true,
    seeded: true,
    ...(keyPem === undefined ? {} : { keyPem }),
    requestedVia: input.imported === true ? "IMPORTED" : "REST API",
    ...(input.family === "smime"
      ? { person: { email: input.email ?? "person@example.com", firstName: "Seeded", lastName: "Person", secondaryEmails: [] } }
      : {}),
  });
  for (const l of input.locations ?? []) model.addLocation(order, { ...l.details }, "", l.id);
  if (input.state === "requested") {
    order.phase = "requested";
    order.needsApproval = true;
  } else if (input.state === "issued" || input.imported === true) {
    await model.issueNow(order);
  }
  return order;
}

export function adminRoutes(model: SectigoModel): SimRoute[] {
  const wrap =
    (fn: (params: Record<string, string>, body: Record<string, unknown>) => SimResponse | Promise<SimResponse>) =>
    async (req: { params: Record<string, string>; body: unknown }): Promise<SimResponse> => {
      try {
        return await fn(req.params, asRecord(req.body));
      } catch (e) {
        if (e instanceof ScmFault) return faultResponse(e);
        return { status: 400, json: { error: e instanceof Error ? e.message : "invalid request" } };
      }
    };
  const order = (params: Record<string, string>): Order => {
    const o = model.orders.get(Number(params["id"]));
    if (o === undefined) throw new Error(`no order ${params["id"]}`);
    return o;
  };
  return [
    { method: "GET", path: "/__sim/sectigo/orders", handler: wrap(() => ({ status: 200, json: [...model.orders.values()].map(orderSummary) })) },
    {
      method: "POST",
      path: "/__sim/sectigo/orders",
      handler: wrap(async (_p, body) => {
        const family = body["family"];
        if (typeof family !== "string" || !(FAMILIES as readonly string[]).includes(family)) throw new Error("family must be ssl, smime or device");
        if (typeof body["csr"] !== "string" && body["keyEscrow"] !== true) throw new Error("csr is required (or keyEscrow)");
        const o = await seedOrder(model, body as unknown as SeedOrderInput);
        return { status: 201, json: orderSummary(o) };
      }),
    },
    { method: "GET", path: "/__sim/sectigo/orders/:id", handler: wrap((p) => ({ status: 200, json: orderSummary(order(p)) })) },
    {
      method: "POST",
      path: "/__sim/sectigo/orders/:id/approve",
      handler: wrap((p) => {
        model.approve(order(p));
        return { status: 200, json: orderSummary(order(p)) };
      }),
    },
    {
      method: "POST",
      path: "/__sim/sectigo/orders/:id/decline",
      handler: wrap((p) => {
        model.decline(order(p));
        return { status: 200, json: orderSummary(order(p)) };
      }),
    },
    {
      method: "POST",
      path: "/__sim/sectigo/orders/:id/reject",
      handler: wrap((p) => {
        model.reject(order(p));
        return { status: 200, json: orderSummary(order(p)) };
      }),
    },
    {
      method: "POST",
      path: "/__sim/sectigo/orders/:id/issue",
      handler: wrap(async (p) => {
        await model.issueNow(order(p));
        return { status: 200, json: orderSummary(order(p)) };
      }),
    },
    {
      method: "POST",
      path: "/__sim/sectigo/domains/validate",
      handler: wrap((_p, body) => {
        if (typeof body["domain"] !== "string" || body["domain"] === "") throw new Error("domain is required");
        model.validateDomain(body["domain"]);
        return { status: 200, json: { validatedDomains: [...model.validatedDomains] } };
      }),
    },
    { method: "GET", path: "/__sim/sectigo/issuance", handler: wrap(() => ({ status: 200, json: { ...model.issuance } })) },
    { method: "POST", path: "/__sim/sectigo/issuance", handler: wrap((_p, body) => ({ status: 200, json: applyIssuance(model, body) })) },
  ];
}
