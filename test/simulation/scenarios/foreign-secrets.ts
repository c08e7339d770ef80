// Secrets the operator must not take: a ManagedCertificate and a ProvisioningKey whose target Secret
// a user already made, and a ManagedCertificate whose secretName is its own key Secret. While the
// Secret is someone else's, nothing may be ordered or created at the vendor for that resource (a
// certificate that can never be delivered is paid for nothing). Half the schedules the user removes
// their Secrets; then both resources must become Ready.
import { resourceTypes } from "../../../src/api/v1alpha1/index.ts";
import { keySecretName } from "../../../src/controllers/managedcertificate/keys.ts";
import { classifySecret, type Secret } from "../../../src/controllers/shared/owned-secret.ts";
import { core } from "../../../src/runtime/kube/resource.ts";
import { Invariant } from "../ledger.ts";
import type { World } from "../world.ts";
import { USER } from "../world.ts";
import { zpaGroups } from "../vendors/zpa.ts";
import { certificateSpec, foreignSecret, managedCertificate, namespace, provisioningKey, vendorConnection, type Family } from "./common.ts";

const NS = "team-a";

/** Whether the Secret a resource names is someone else's now. */
function foreignNow(w: World, kind: "ManagedCertificate" | "ProvisioningKey", name: string): boolean {
  const type = kind === "ManagedCertificate" ? resourceTypes.managedCertificates : resourceTypes.provisioningKeys;
  const o = w.model.peek<{ metadata: { uid?: string }; spec?: { secretName?: string } } & Secret>(type, NS, name);
  if (o === undefined) return false;
  const secret = w.model.peek<Secret>(core.secrets, NS, o.spec?.secretName ?? "");
  return classifySecret(secret, { kind, namespace: NS, name, uid: o.metadata.uid ?? "" }) === "foreign";
}

export const foreignSecretFamily: Family = {
  id: 21,
  name: "foreign-secrets",
  description: "target Secrets a user owns (and a secretName that is the resource's own key Secret)",
  setup: (w, rng) => {
    namespace(w, NS);
    w.certificates.addTenant("cf-zone-1", "cloudflare", { approval: false, issueDelayMs: [1000, 1000], approveDelayMs: [1000, 1000] });
    vendorConnection(w, NS, "issuer", "cloudflare", "cf-zone-1");
    vendorConnection(w, NS, "zpa", "zpa", "zpa-customer-1");
    foreignSecret(w, NS, "web-tls");
    foreignSecret(w, NS, "connector-key");
    managedCertificate(
      w,
      NS,
      "web",
      certificateSpec({
        vendor: "cloudflare",
        secretName: "web-tls",
        connection: { kind: "VendorConnection", name: "issuer" },
        dnsNames: ["web.team-a.example.com"],
      }),
    );
    managedCertificate(
      w,
      NS,
      "self",
      certificateSpec({
        vendor: "cloudflare",
        secretName: keySecretName("self"),
        connection: { kind: "VendorConnection", name: "issuer" },
        dnsNames: ["self.team-a.example.com"],
      }),
    );
    provisioningKey(w, NS, "connector", {
      connectionRef: { kind: "VendorConnection", name: "zpa" },
      associationType: "CONNECTOR_GRP",
      group: { name: zpaGroups.CONNECTOR_GRP[0]!.name },
      maxUsage: 1 + rng.int(50),
      secretName: "connector-key",
    });
  },
  actions: [
    [
      {
        name: "the owner removes their Secrets",
        run: (w) => {
          for (const name of ["web-tls", "connector-key"]) {
            if (w.model.peek(core.secrets, NS, name) !== undefined) w.model.delete(core.secrets, NS, name, undefined, USER);
          }
          return "user deletes Secrets team-a/web-tls and team-a/connector-key";
        },
      },
      1,
    ],
  ],
  actionCount: [0, 1],
  expect: { ready: (w, kind, _ns, name) => name !== "self" && !foreignNow(w, kind, name) },
  check: (w) => {
    // A resource whose Secret stayed someone else's (or is its own key Secret) has nothing at the vendor.
    for (const [kind, name] of [
      ["ManagedCertificate", "web"],
      ["ManagedCertificate", "self"],
    ] as const) {
      if (name === "web" && !foreignNow(w, kind, name)) continue;
      const orders = w.certificates.orders.filter((o) => o.owner.namespace === NS && o.owner.name === name);
      if (orders.length > 0)
        w.ledger.flag(
          Invariant.NoUntrackedVendorObject,
          `${NS}/${name} can never deliver a certificate (its Secret is not its own) yet ordered ${orders.map((o) => o.ref).join(", ")}`,
        );
    }
    if (foreignNow(w, "ProvisioningKey", "connector")) {
      const keys = w.zpa.keys.filter((k) => k.creator.key === `${NS}/connector`);
      if (keys.length > 0)
        w.ledger.flag(
          Invariant.NoUntrackedVendorObject,
          `${NS}/connector cannot deliver a key (its Secret is someone else's) yet created ZPA key(s) ${keys.map((k) => k.id).join(", ")}`,
        );
    }
  },
};
