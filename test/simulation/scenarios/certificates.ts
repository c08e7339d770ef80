// ManagedCertificate families: Cloudflare-like (issued at once) and Sectigo-like (pending, maybe a
// person's approval), with the everyday changes (names, renew requests, lost Secrets), then
// deletion and re-creation, then namespace teardown, each a family of its own so that a known
// problem in one does not hide a new one in another.
import type { Rng } from "../rng.ts";
import type { World } from "../world.ts";
import { forgeIntent } from "./forgery.ts";
import { certificateSpec, managedCertificate, mcActions, namespace, sharedActions, vendorConnection, type Family, type UserAction } from "./common.ts";

const TENANT = { cloudflare: "cf-zone-1", sectigo: "scm-customer-1" } as const;

function setupCertificates(vendor: "cloudflare" | "sectigo", opts: { deletes: boolean; twoNamespaces?: boolean }) {
  return (w: World, rng: Rng) => {
    w.certificates.addTenant(TENANT[vendor], vendor, {
      approval: vendor === "sectigo" && rng.chance(0.5),
      issueDelayMs: [2_000, 90_000],
      approveDelayMs: [10_000, 240_000],
    });
    const namespaces = opts.twoNamespaces === true || rng.chance(0.5) ? ["team-a", "team-b"] : ["team-a"];
    let n = 0;
    for (const ns of namespaces) {
      namespace(w, ns);
      // Both namespaces talk to the same vendor account through their own connection.
      vendorConnection(w, ns, "issuer", vendor, TENANT[vendor]);
      // Two resources at most: enough for siblings and a shared account, and each issuance costs real X.509 work.
      const count = namespaces.length === 1 ? 1 + rng.int(2) : 1;
      for (let i = 0; i < count; i++) {
        const name = `web-${++n}`;
        managedCertificate(
          w,
          ns,
          name,
          certificateSpec({
            vendor,
            secretName: `${name}-tls`,
            connection: { kind: "VendorConnection", name: "issuer" },
            dnsNames: [`${name}.${ns}.example.com`],
            rotationNever: rng.chance(0.3),
            revokeSuperseded: rng.chance(0.3),
            ...(opts.deletes ? { revokeOnDelete: rng.chance(0.5), deleteSecret: rng.chance(0.3) } : {}),
            ...(rng.chance(0.2) ? { renewAfter: "23h" } : {}),
          }),
        );
      }
    }
  };
}

/** The everyday setup, plus one replace in the first seconds, while the first orders are in flight. */
function replacedEarly(vendor: "cloudflare" | "sectigo") {
  return (w: World, rng: Rng) => {
    setupCertificates(vendor, { deletes: false })(w, rng);
    const actionRng = rng.fork("early-replace");
    w.scheduler.at(w.start + rng.int(4_000), `user: ${mcActions.replace.name}`, () => {
      w.scheduler.log(`  ${mcActions.replace.run(w, actionRng) ?? "(nothing to act on)"}`);
    });
  };
}

/** `<vendor>-replace`: the resource is replaced (kubectl replace) while its first order may be in flight. */
function replaceFamily(id: number, vendor: "cloudflare" | "sectigo"): Family {
  return {
    id,
    name: `${vendor}-replace`,
    description: `${vendor === "cloudflare" ? "Cloudflare" : "Sectigo"}-like CA; the resource is replaced (kubectl replace) while its first order may be in flight`,
    setup: replacedEarly(vendor),
    actions: [...everyday, [mcActions.replace, 4]],
    actionCount: [0, 2],
  };
}

const everyday: ReadonlyArray<readonly [UserAction, number]> = [
  [mcActions.changeNames, 3],
  [mcActions.renew, 2],
  [mcActions.deleteTlsSecret, 2],
  [mcActions.corruptTlsSecret, 1],
  [mcActions.deleteKeySecret, 1],
];

const deletes: ReadonlyArray<readonly [UserAction, number]> = [...everyday, [mcActions.deleteResource, 3], [mcActions.recreate, 3]];

export const certificateFamilies: readonly Family[] = [
  {
    id: 1,
    name: "cloudflare",
    description: "Cloudflare-like CA; spec changes, renew requests, lost Secrets",
    setup: setupCertificates("cloudflare", { deletes: false }),
    actions: everyday,
    actionCount: [0, 3],
  },
  {
    id: 2,
    name: "cloudflare-delete",
    description: "Cloudflare-like CA; deletes (revoke or retain), GitOps prune and re-create",
    setup: setupCertificates("cloudflare", { deletes: true }),
    actions: deletes,
    actionCount: [1, 3],
  },
  {
    id: 3,
    name: "sectigo",
    description: "Sectigo-like CA (pending, maybe approval); spec changes, renew requests, lost Secrets",
    setup: setupCertificates("sectigo", { deletes: false }),
    actions: everyday,
    actionCount: [0, 3],
  },
  {
    id: 4,
    name: "sectigo-delete",
    description: "Sectigo-like CA; deletes while orders are pending, GitOps prune and re-create",
    setup: setupCertificates("sectigo", { deletes: true }),
    actions: deletes,
    actionCount: [1, 3],
  },
  replaceFamily(6, "cloudflare"),
  replaceFamily(7, "sectigo"),
  {
    id: 8,
    name: "certificate-forgery",
    description: "either CA, two namespaces on one vendor account; a tenant hand-writes order intents naming the other's orders",
    setup: (w, rng) => setupCertificates(rng.chance(0.5) ? "cloudflare" : "sectigo", { deletes: true, twoNamespaces: true })(w, rng),
    actions: [
      [forgeIntent, 6],
      [mcActions.renew, 1],
      [mcActions.deleteKeySecret, 1],
    ],
    actionCount: [2, 4],
  },
  {
    id: 5,
    name: "certificate-teardown",
    description: "either CA; a namespace is deleted with everything in it (credentials included)",
    setup: (w, rng) => setupCertificates(rng.chance(0.5) ? "cloudflare" : "sectigo", { deletes: true })(w, rng),
    actions: [[sharedActions.deleteNamespace, 1]],
    actionCount: [1, 1],
  },
];
