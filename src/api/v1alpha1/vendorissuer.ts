// VendorIssuer and ClusterVendorIssuer: certbridge as a cert-manager external issuer (issue 14). An
// issuer names a connection and carries exactly one vendor block with the issuance options a
// ManagedCertificate has; cert-manager's CertificateRequests that name it (issuerRef.group
// certbridge.dev) are ordered through that connection. The key never leaves the requester: only the
// CertificateRequest's CSR goes to the vendor. Its Ready condition follows the connection's health.
import { z } from "zod";
import { Conditions, ConnectionReference, dns1123Subdomain, exactlyOne, ObjectMeta, observedGeneration, withRules } from "./common.ts";
import { API_VERSION } from "./group.ts";
import { CloudflareCertificate, SECTIGO_TYPE_RULES, SectigoCertificate } from "./managedcertificate.ts";
import { Vendor } from "./vendorconnection.ts";

// The vendor blocks of a ManagedCertificate, with the two fields whose meaning differs here: a
// CertificateRequest's `duration` takes the place of the ManagedCertificate's spec.duration.
const issuerTerm = z.number().int().min(1).max(3650).optional().meta({
  description:
    "Validity in days when a CertificateRequest asks for no duration; must be one of the profile's terms. A CertificateRequest's duration wins (the shortest profile term that covers it).",
});

/** SectigoCertificate's fields and rules, with the issuer's wording of `term`. */
export const IssuerSectigo = withRules(
  z.object({ ...SectigoCertificate.shape, term: issuerTerm }).meta({
    description:
      "Issue through Sectigo Certificate Manager: SSL for servers (cert-manager's default usages), Client (S/MIME) or Device. The type cannot change.",
  }),
  SECTIGO_TYPE_RULES,
);
export type IssuerSectigo = z.infer<typeof IssuerSectigo>;

export const IssuerCloudflare = z
  .object({
    ...CloudflareCertificate.shape,
    validityDays: z
      .number()
      .int()
      .min(1)
      .max(5475)
      .optional()
      .meta({ description: "Validity in days (Cloudflare's validity_days) when a CertificateRequest asks for no duration; its duration wins." }),
  })
  .meta({ description: "Issue API Shield mTLS client certificates through Cloudflare (issued at once; usage client auth)." });
export type IssuerCloudflare = z.infer<typeof IssuerCloudflare>;

const vendorRules = [
  exactlyOne<{ sectigo?: unknown; cloudflare?: unknown }>(["sectigo", "cloudflare"], "exactly one vendor block (sectigo or cloudflare) must be set"),
  {
    // Orders in flight are found again by the vendor block (Sectigo's certificate family): it cannot switch.
    rule: "has(self.sectigo) == has(oldSelf.sectigo) && has(self.cloudflare) == has(oldSelf.cloudflare)",
    message: "the vendor block cannot change; create a new issuer",
  },
] as const;

export const VendorIssuerSpec = withRules(
  z
    .object({
      connectionRef: ConnectionReference,
      sectigo: IssuerSectigo.optional(),
      cloudflare: IssuerCloudflare.optional(),
    })
    .meta({ description: "The connection to order through and the vendor's issuance options." }),
  [...vendorRules],
);
export type VendorIssuerSpec = z.infer<typeof VendorIssuerSpec>;

/** A cluster-scoped issuer serves every namespace, so only a cluster-scoped connection can back it. */
export const ClusterConnectionReference = z
  .object({
    kind: z.enum(["ClusterVendorConnection"]).default("ClusterVendorConnection").meta({
      description:
        "Always ClusterVendorConnection: its namespaceSelector decides, per CertificateRequest, whether the request's namespace may order through it.",
    }),
    name: dns1123Subdomain.meta({ description: "Name of the ClusterVendorConnection." }),
  })
  .meta({ description: "The cluster-scoped connection (vendor endpoint and credentials) used to talk to the vendor." });

export const ClusterVendorIssuerSpec = withRules(
  z
    .object({
      connectionRef: ClusterConnectionReference,
      sectigo: IssuerSectigo.optional(),
      cloudflare: IssuerCloudflare.optional(),
    })
    .meta({ description: "The cluster-scoped connection to order through and the vendor's issuance options." }),
  [...vendorRules],
);
export type ClusterVendorIssuerSpec = z.infer<typeof ClusterVendorIssuerSpec>;

export const VendorIssuerStatus = z
  .object({
    conditions: Conditions.optional(),
    observedGeneration: observedGeneration.optional(),
    vendor: Vendor.optional().meta({ description: "The vendor the issuer orders from (mirrors the spec's vendor block, for printing)." }),
  })
  .meta({ description: "Observed state of the issuer: Ready when its connection is usable." });
export type VendorIssuerStatus = z.infer<typeof VendorIssuerStatus>;

export const VendorIssuer = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal("VendorIssuer"),
  metadata: ObjectMeta,
  spec: VendorIssuerSpec,
  status: VendorIssuerStatus.optional(),
});
export type VendorIssuer = z.infer<typeof VendorIssuer>;

export const ClusterVendorIssuer = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal("ClusterVendorIssuer"),
  metadata: ObjectMeta,
  spec: ClusterVendorIssuerSpec,
  status: VendorIssuerStatus.optional(),
});
export type ClusterVendorIssuer = z.infer<typeof ClusterVendorIssuer>;

/** Either issuer's spec (a ClusterVendorIssuer's connectionRef is always cluster-scoped). */
export type AnyVendorIssuerSpec = VendorIssuerSpec | ClusterVendorIssuerSpec;

/** Which vendor an issuer orders from (its schema allows exactly one block). */
export function issuerVendorOf(spec: { sectigo?: unknown; cloudflare?: unknown }): "sectigo" | "cloudflare" | undefined {
  if (spec.sectigo !== undefined) return "sectigo";
  if (spec.cloudflare !== undefined) return "cloudflare";
  return undefined;
}
