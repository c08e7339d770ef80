// ManagedCertificate: a certificate issued by Sectigo or Cloudflare, kept valid in a kubernetes.io/tls
// Secret. The spec says what the certificate must contain; the status records the issued certificate
// and, before any paid vendor call, the intent of the issuance in flight (so a crash never pays twice).
import { createHash } from "node:crypto";
import { z } from "zod";
import {
  Conditions,
  ConnectionReference,
  dnsName,
  dns1123Subdomain,
  duration,
  exactlyOne,
  immutable,
  ipAddress,
  ObjectMeta,
  observedGeneration,
  parseDuration,
  SecretKeySelector,
  SecretTemplate,
  timestamp,
  uniqueSet,
  type CelRule,
  withRules,
  zpaId,
} from "./common.ts";
import { API_VERSION } from "./group.ts";

// ---------------------------------------------------------------------------------------------------
// Private key

export const KeyAlgorithm = z.enum(["RSA", "ECDSA", "Ed25519"]);
export type KeyAlgorithm = z.infer<typeof KeyAlgorithm>;

/** Sizes accepted per algorithm: RSA modulus bits, or the ECDSA curve (P-256, P-384). */
export const KEY_SIZES = { RSA: [2048, 3072, 4096], ECDSA: [256, 384], Ed25519: [] } as const satisfies Record<KeyAlgorithm, readonly number[]>;
/** The size used when spec.privateKey.size is unset. */
export const DEFAULT_KEY_SIZE = { RSA: 2048, ECDSA: 256 } as const;

export const PrivateKey = withRules(
  z
    .object({
      algorithm: KeyAlgorithm.default("RSA").meta({
        description: "Key algorithm: RSA, ECDSA or Ed25519 (Ed25519 only where the vendor accepts it; public TLS CAs do not).",
      }),
      size: z
        .number()
        .int()
        .min(256)
        .max(4096)
        .optional()
        .meta({ description: "RSA: 2048 (default), 3072 or 4096 bits. ECDSA: curve P-256 (default) or P-384. Ed25519: must be unset." }),
      encoding: z
        .enum(["PKCS1", "PKCS8"])
        .default("PKCS8")
        .meta({ description: "Encoding of tls.key: PKCS8 (default, any algorithm) or PKCS1 (RSA only, RFC 8017)." }),
      rotationPolicy: z
        .enum(["Always", "Never"])
        .default("Always")
        .meta({ description: "Always: a new key for every issuance. Never: reuse the key already in the Secret when it still matches the spec." }),
    })
    .meta({ description: "The private key the operator generates; it never leaves the cluster." }),
  [
    {
      rule: "self.algorithm != 'RSA' || !has(self.size) || self.size in [2048, 3072, 4096]",
      message: "RSA key size must be 2048, 3072 or 4096",
      fieldPath: ".size",
      check: (k) => k.algorithm !== "RSA" || k.size === undefined || (KEY_SIZES.RSA as readonly number[]).includes(k.size),
    },
    {
      rule: "self.algorithm != 'ECDSA' || !has(self.size) || self.size in [256, 384]",
      message: "ECDSA key size must be 256 or 384",
      fieldPath: ".size",
      check: (k) => k.algorithm !== "ECDSA" || k.size === undefined || (KEY_SIZES.ECDSA as readonly number[]).includes(k.size),
    },
    {
      rule: "self.algorithm != 'Ed25519' || !has(self.size)",
      message: "Ed25519 keys have no size",
      fieldPath: ".size",
      check: (k) => k.algorithm !== "Ed25519" || k.size === undefined,
    },
    {
      // PKCS#1 (RFC 8017) defines RSA keys only; ECDSA (SEC 1) and Ed25519 (RFC 8410) keys go in PKCS#8.
      rule: "self.encoding != 'PKCS1' || self.algorithm == 'RSA'",
      message: "PKCS1 encoding is only defined for RSA keys; use PKCS8",
      fieldPath: ".encoding",
      check: (k) => k.encoding !== "PKCS1" || k.algorithm === "RSA",
    },
  ],
);
export type PrivateKey = z.infer<typeof PrivateKey>;

// ---------------------------------------------------------------------------------------------------
// Subject

const subjectList = (description: string, maxLength: number) => z.array(z.string().min(1).max(maxLength)).max(10).optional().meta({ description });

export const Subject = z
  .object({
    organizations: subjectList("Organization (O) values.", 64),
    organizationalUnits: subjectList("Organizational unit (OU) values.", 64),
    countries: z
      .array(
        z
          .string()
          .length(2)
          .regex(/^[A-Z]{2}$/),
      )
      .max(10)
      .optional()
      .meta({ description: "Country (C) values as ISO 3166-1 alpha-2 codes." }),
    localities: subjectList("Locality (L) values.", 128),
    provinces: subjectList("State or province (ST) values.", 128),
  })
  .meta({ description: "Subject fields for the CSR; vendors may override them from the organization on file." });
export type Subject = z.infer<typeof Subject>;

// ---------------------------------------------------------------------------------------------------
// Vendor blocks

export const SectigoCertificateType = z.enum(["SSL", "Client", "Device"]);
export type SectigoCertificateType = z.infer<typeof SectigoCertificateType>;

export const SectigoProfile = withRules(
  z
    .object({
      id: z.number().int().min(1).max(2147483647).optional().meta({ description: "Certificate profile id (certType)." }),
      name: z.string().min(1).max(256).optional().meta({ description: "Certificate profile name, resolved to its id." }),
    })
    .meta({ description: "The certificate profile (type) to enroll with, by id or by name." }),
  [exactlyOne(["id", "name"], "set exactly one of profile.id and profile.name")],
);

export const SectigoPerson = withRules(
  z
    .object({
      email: z.email().max(128).meta({ description: "The person's email address (the certificate's subject email)." }),
      firstName: z.string().min(1).max(64).meta({ description: "First name." }),
      middleName: z.string().min(1).max(64).optional().meta({ description: "Middle name." }),
      lastName: z.string().min(1).max(64).meta({ description: "Last name." }),
      phone: z.string().min(1).max(32).optional().meta({ description: "Phone number." }),
      secondaryEmails: z.array(z.email().max(128)).max(10).optional().meta({ description: "Further email addresses." }),
      eppn: z.string().min(1).max(128).optional().meta({ description: "eduPersonPrincipalName." }),
      upn: z.string().min(1).max(256).optional().meta({ description: "User principal name." }),
    })
    .meta({ description: "The person a client (S/MIME) certificate is for; required for type Client." }),
  [
    {
      rule: "size(self.firstName) + size(self.lastName) + (has(self.middleName) ? size(self.middleName) : 0) <= 64",
      message: "first, middle and last name together must be at most 64 characters",
      check: (p) => p.firstName.length + p.lastName.length + (p.middleName?.length ?? 0) <= 64,
    },
  ],
);

export const DcvMode = z.enum(["CNAME", "EMAIL", "HTTP", "HTTPS", "TXT"]);

export const SectigoCustomField = z
  .object({
    name: z.string().min(1).max(256).meta({ description: "Custom field name as configured in SCM." }),
    value: z.string().max(1024).meta({ description: "Value to send." }),
  })
  .meta({ description: "A custom field for the enrollment." });

/** What a Sectigo type allows: a person only for Client, DCV only for SSL (ManagedCertificate and VendorIssuer alike). */
export const SECTIGO_TYPE_RULES: readonly CelRule<{ type: string; person?: unknown; dcv?: unknown }>[] = [
  {
    rule: "(self.type == 'Client') == has(self.person)",
    message: "sectigo.person is required for type Client and not allowed otherwise",
    fieldPath: ".person",
    check: (s) => (s.type === "Client") === (s.person !== undefined),
  },
  {
    rule: "self.type == 'SSL' || !has(self.dcv)",
    message: "sectigo.dcv applies only to type SSL",
    fieldPath: ".dcv",
    check: (s) => s.type === "SSL" || s.dcv === undefined,
  },
];

export const SectigoCertificate = withRules(
  z
    .object({
      type: immutable(SectigoCertificateType, "sectigo.type cannot change: SSL, client and device certificates are different orders").meta({
        description: "Which SCM API to enroll through: SSL (server), Client (S/MIME) or Device.",
      }),
      profile: SectigoProfile,
      term: z
        .number()
        .int()
        .min(1)
        .max(3650)
        .optional()
        .meta({ description: "Validity in days; must be one of the profile's terms. Mutually exclusive with spec.duration." }),
      orgId: z.number().int().min(1).max(2147483647).optional().meta({ description: "Organization or department id, overriding the connection's default." }),
      comments: z.string().max(1024).optional().meta({ description: "Comments stored with the order." }),
      customFields: z
        .array(SectigoCustomField)
        .max(32)
        .optional()
        .meta({
          description: "Custom fields; every field the profile marks mandatory must be given.",
          "x-kubernetes-list-type": "map",
          "x-kubernetes-list-map-keys": ["name"],
        }),
      externalRequester: z.string().max(512).optional().meta({ description: "Comma-separated email addresses recorded as external requesters." }),
      person: SectigoPerson.optional(),
      dcv: withRules(
        z
          .object({
            mode: DcvMode.meta({ description: "How domain control is proven: CNAME, EMAIL, HTTP, HTTPS or TXT." }),
            email: z.email().max(254).optional().meta({ description: "Approver address; required for EMAIL, not allowed otherwise." }),
          })
          .meta({ description: "SSL only: domain control validation mode, needed when DCV pre-validation is off." }),
        [
          {
            rule: "(self.mode == 'EMAIL') == has(self.email)",
            message: "dcv.email is required for mode EMAIL and not allowed otherwise",
            fieldPath: ".email",
            check: (d) => (d.mode === "EMAIL") === (d.email !== undefined),
          },
        ],
      ).optional(),
    })
    .meta({ description: "Issue through Sectigo Certificate Manager." }),
  SECTIGO_TYPE_RULES,
);
export type SectigoCertificate = z.infer<typeof SectigoCertificate>;

export const CloudflareCertificate = z
  .object({
    validityDays: z
      .number()
      .int()
      .min(1)
      .max(5475)
      .optional()
      .meta({ description: "Validity in days (Cloudflare's validity_days). Mutually exclusive with spec.duration." }),
  })
  .meta({ description: "Issue an API Shield mTLS client certificate through Cloudflare (issued at once)." });
export type CloudflareCertificate = z.infer<typeof CloudflareCertificate>;

// ---------------------------------------------------------------------------------------------------
// Policies and outputs

export const RevocationAction = z.enum(["Revoke", "Retain"]);

export const RevocationPolicy = z
  .object({
    onDelete: RevocationAction.default("Retain").meta({
      description:
        "Revoke the current certificate when the ManagedCertificate is deleted, or Retain it (default: deleting a resource should not break live TLS).",
    }),
    superseded: RevocationAction.default("Retain").meta({
      description: "Revoke a certificate once its replacement is in the Secret, or Retain it until it expires.",
    }),
  })
  .meta({ description: "When the operator revokes certificates at the vendor." });

export const SecretPolicy = z
  .object({
    onDelete: z
      .enum(["Delete", "Retain"])
      .default("Retain")
      .meta({ description: "Delete the Secret with the ManagedCertificate, or Retain it (default, so workloads keep serving)." }),
  })
  .meta({ description: "What happens to the Secret the operator owns." });

export const OutputFormat = withRules(
  z
    .object({
      type: z.enum(["CombinedPEM", "DER", "PKCS12"]).meta({
        description: "CombinedPEM: key then chain in tls-combined.pem. DER: leaf in key.der/tls.der. PKCS12: keystore.p12.",
      }),
      passwordSecretRef: SecretKeySelector.optional().meta({ description: "PKCS12 only: the keystore password, from a Secret in this namespace." }),
    })
    .meta({ description: "An extra encoding of the certificate and key written into the same Secret." }),
  [
    {
      rule: "(self.type == 'PKCS12') == has(self.passwordSecretRef)",
      message: "passwordSecretRef is required for PKCS12 and not allowed for other formats",
      fieldPath: ".passwordSecretRef",
      check: (f) => (f.type === "PKCS12") === (f.passwordSecretRef !== undefined),
    },
  ],
);

/** A domain selector: a DNS name, or "*." and a DNS name for every name under it. */
const segmentDomain = z
  .string()
  .min(1)
  .max(253)
  .regex(/^(\*\.)?[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*\.?$/);

export const ZpaSegmentSelector = withRules(
  z
    .object({
      id: zpaId.optional().meta({ description: "The application segment's ZPA id." }),
      name: z.string().min(1).max(255).optional().meta({ description: "The application segment's exact name." }),
      domain: segmentDomain.optional().meta({
        description:
          'Every browser-access segment with this name among its domain names or browser-access apps (case-insensitive); "*.example.com" matches every name under example.com.',
      }),
    })
    .meta({ description: "Browser-access application segments, by id, by name or by domain (exactly one)." }),
  [exactlyOne(["id", "name", "domain"], "set exactly one of id, name and domain")],
);
export type ZpaSegmentSelector = z.infer<typeof ZpaSegmentSelector>;

export const ZpaPublish = z
  .object({
    connectionRef: ConnectionReference.meta({ description: "The ZPA connection to upload through." }),
    name: z.string().min(1).max(255).optional().meta({ description: "Name of the certificate in ZPA; default <namespace>-<name>." }),
    description: z.string().max(1024).optional().meta({ description: "Description stored in ZPA." }),
    applicationSegments: z.array(ZpaSegmentSelector).min(1).max(16).optional().meta({
      description:
        "Browser-access application segments that serve this certificate. On every revision their browser-access apps for names the certificate covers are re-pointed to the new upload and confirmed before the previous one is deleted. Through a ClusterVendorConnection only segments whose every name the certificate covers are re-pointed.",
      "x-kubernetes-list-type": "atomic",
    }),
  })
  .meta({
    description:
      "Upload the certificate and key to ZPA as a browser-access certificate; rotation uploads the new one, re-points the named application segments, and deletes the old one once no segment serves it.",
  });

export const Publish = z.object({ zpa: ZpaPublish.optional() }).meta({ description: "Where else to deliver the issued certificate." });

// ---------------------------------------------------------------------------------------------------
// Spec

/** Lifetime the spec asks for, in ms: spec.duration, else the vendor's days; undefined = vendor default. */
export function requestedLifetimeMs(spec: {
  duration?: string | undefined;
  cloudflare?: { validityDays?: number | undefined } | undefined;
  sectigo?: { term?: number | undefined } | undefined;
}): number | undefined {
  if (spec.duration !== undefined) return parseDuration(spec.duration);
  const days = spec.cloudflare?.validityDays ?? spec.sectigo?.term;
  return days === undefined ? undefined : days * 86_400_000;
}

// CEL twin of requestedLifetimeMs compared with renewBefore. Days are compared as seconds: building a
// duration string from an int is too costly for the API server's CEL cost estimate.
const CEL_RENEW_BEFORE_LESS_THAN_LIFETIME =
  "!has(self.renewBefore) || (has(self.duration) ? duration(self.renewBefore) < duration(self.duration) : " +
  "(has(self.cloudflare) && has(self.cloudflare.validityDays)) ? duration(self.renewBefore).getSeconds() < self.cloudflare.validityDays * 86400 : " +
  "(has(self.sectigo) && has(self.sectigo.term)) ? duration(self.renewBefore).getSeconds() < self.sectigo.term * 86400 : true)";

const ManagedCertificateSpecBase = z
  .object({
    connectionRef: ConnectionReference,
    secretName: dns1123Subdomain.meta({
      description: "Name of the kubernetes.io/tls Secret (in this namespace) the operator writes; an existing Secret it does not own is never touched.",
    }),
    secretTemplate: SecretTemplate.optional(),
    commonName: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .meta({ description: "Subject common name (at most 64 characters, per X.509); prefer dnsNames for servers." }),
    dnsNames: uniqueSet(dnsName, 100, "DNS subject alternative names; a leading *. requests a wildcard.").optional(),
    ipAddresses: uniqueSet(ipAddress, 100, "IP address subject alternative names.").optional(),
    emailAddresses: uniqueSet(z.email().max(254), 100, "Email subject alternative names.").optional(),
    uris: uniqueSet(z.url().max(2048), 100, "URI subject alternative names (for example SPIFFE ids).").optional(),
    subject: Subject.optional(),
    // Complete defaults (not {}): the API server validates a default against the CEL rules as written.
    privateKey: PrivateKey.prefault({ algorithm: "RSA", encoding: "PKCS8", rotationPolicy: "Always" }),
    duration: withRules(duration, [
      { rule: "duration(self) >= duration('1h')", message: "duration must be at least 1h", check: (d) => (parseDuration(d) ?? 0) >= 3_600_000 },
    ])
      .optional()
      .meta({
        description: 'Requested lifetime, e.g. "2160h" (90 days); the vendor may round it. Unset: the vendor block\'s days, else the vendor default.',
      }),
    renewBefore: duration
      .optional()
      .meta({ description: "How long before expiry to renew; must be less than the lifetime. Unset: renew at 2/3 of the lifetime." }),
    sectigo: SectigoCertificate.optional(),
    cloudflare: CloudflareCertificate.optional(),
    revocationPolicy: RevocationPolicy.prefault({ onDelete: "Retain", superseded: "Retain" }),
    secretPolicy: SecretPolicy.prefault({ onDelete: "Retain" }),
    additionalOutputFormats: z
      .array(OutputFormat)
      .max(3)
      .optional()
      .meta({
        description: "Extra encodings written into the Secret beside tls.crt, tls.key and ca.crt.",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["type"],
      }),
    publish: Publish.optional(),
  })
  .meta({ description: "The certificate wanted, the vendor to issue it, and where to put it." });

export const ManagedCertificateSpec = withRules(ManagedCertificateSpecBase, [
  exactlyOne(["sectigo", "cloudflare"], "exactly one vendor block (sectigo or cloudflare) must be set"),
  {
    // The status, the vendor reference and any pending revocation belong to one vendor.
    rule: "has(self.sectigo) == has(oldSelf.sectigo) && has(self.cloudflare) == has(oldSelf.cloudflare)",
    message: "the vendor block cannot change; create a new ManagedCertificate",
  },
  {
    rule: "has(self.commonName) || has(self.dnsNames) || has(self.ipAddresses) || has(self.emailAddresses) || has(self.uris)",
    message: "at least one of commonName, dnsNames, ipAddresses, emailAddresses or uris must be set",
    check: (s) => s.commonName !== undefined || [s.dnsNames, s.ipAddresses, s.emailAddresses, s.uris].some((xs) => xs !== undefined),
  },
  {
    rule: "!has(self.duration) || !((has(self.cloudflare) && has(self.cloudflare.validityDays)) || (has(self.sectigo) && has(self.sectigo.term)))",
    message: "set the lifetime once: either duration or the vendor's days (cloudflare.validityDays, sectigo.term)",
    fieldPath: ".duration",
    check: (s) => s.duration === undefined || (s.cloudflare?.validityDays === undefined && s.sectigo?.term === undefined),
  },
  {
    rule: CEL_RENEW_BEFORE_LESS_THAN_LIFETIME,
    message: "renewBefore must be less than the certificate lifetime",
    fieldPath: ".renewBefore",
    check: (s) => {
      const lifetime = requestedLifetimeMs(s);
      return s.renewBefore === undefined || lifetime === undefined || (parseDuration(s.renewBefore) ?? 0) < lifetime;
    },
  },
  {
    // CA/Browser Forum Baseline Requirements §6.1.5 allow only RSA and ECDSA keys in public TLS certificates.
    rule: "!has(self.sectigo) || self.sectigo.type != 'SSL' || self.privateKey.algorithm != 'Ed25519'",
    message: "Sectigo SSL certificates need an RSA or ECDSA key",
    fieldPath: ".privateKey.algorithm",
    check: (s) => s.sectigo?.type !== "SSL" || s.privateKey.algorithm !== "Ed25519",
  },
  {
    rule: "!has(self.sectigo) || self.sectigo.type != 'SSL' || !has(self.emailAddresses)",
    message: "emailAddresses are not allowed in Sectigo SSL certificates",
    fieldPath: ".emailAddresses",
    check: (s) => s.sectigo?.type !== "SSL" || s.emailAddresses === undefined,
  },
]);
export type ManagedCertificateSpec = z.infer<typeof ManagedCertificateSpec>;

// ---------------------------------------------------------------------------------------------------
// Status

export const IssuanceState = z.enum(["Submitting", "OutcomeUnknown", "Pending", "AwaitingApproval", "AwaitingValidation"]);

const vendorRef = z.string().min(1).max(128);
const sha256Hex = z
  .string()
  .length(64)
  .regex(/^[0-9a-f]{64}$/);
const lookupName = z.string().min(1).max(320);

/** Why a revision is issued (the trigger's reasons, PascalCase). */
const issuanceReason = z.string().min(1).max(64);

export const PendingIssuance = z
  .object({
    revision: z.number().int().min(1).meta({ description: "The revision this issuance will produce." }),
    state: IssuanceState.meta({
      description:
        "Submitting: intent recorded, the paid call sent or about to be. OutcomeUnknown: a paid call got no answer; the order is looked up until settleDeadline, never placed again before. Pending, AwaitingApproval, AwaitingValidation: ordered, waiting on the vendor.",
    }),
    startedTime: timestamp.meta({ description: "When the intent was recorded (before the paid vendor call); no order placed earlier belongs to it." }),
    vendorRef: vendorRef.optional().meta({ description: "The vendor's id for the order, recorded right after the vendor accepted it." }),
    publicKeySha256: sha256Hex.optional().meta({ description: "SHA-256 of the CSR's public key (hex): part of what identifies the intent's orders." }),
    marker: z
      .string()
      .max(128)
      .optional()
      .meta({ description: "The marker sent with the order (resource UID, revision and spec hash); Sectigo orders are found again by it." }),
    fingerprint: sha256Hex.optional().meta({
      description: "What the order asks for (CSR without its signature, validity), where the vendor echoes it (Cloudflare): orders are found again by it.",
    }),
    lookupName: lookupName
      .optional()
      .meta({ description: "The common name (or, for Sectigo client certificates, the email) the intent's orders are searched by." }),
    submits: z.number().int().min(0).optional().meta({ description: "Paid calls sent (or possibly sent) for this revision." }),
    submittedTime: timestamp.optional().meta({ description: "When the latest paid call was sent; written before the call." }),
    settleDeadline: timestamp.optional().meta({
      description:
        "Set while the latest paid call's outcome is unknown: until then the vendor may still commit it, so the operator only looks it up and never orders again.",
    }),
    unknownOutcomes: z
      .number()
      .int()
      .min(0)
      .optional()
      .meta({ description: "Paid calls of this revision whose answer was never seen; after issuance the operator sweeps for extra orders." }),
    pollCount: z
      .number()
      .int()
      .min(0)
      .default(0)
      .meta({ description: "How many times the pending order (or, outcome unknown, the vendor's order list) was asked about." }),
    nextPollTime: timestamp.optional().meta({ description: "When the operator will next ask the vendor about the order." }),
    reason: issuanceReason.optional().meta({ description: "Why this revision is issued (see lastIssuance.reason); kept so a restart still knows." }),
  })
  .meta({ description: "The issuance in flight, persisted before the vendor is called so a restart looks it up instead of ordering again." });

export const LastIssuance = z
  .object({
    revision: z.number().int().min(1).meta({ description: "The revision issued." }),
    serialNumber: z.string().max(128).meta({ description: "Its certificate's serial number (hex)." }),
    reason: issuanceReason.meta({
      description:
        "Why it was issued: NotIssued (the first), Renewing (renewal due), Expired, SpecChanged, KeyChanged (spec.privateKey changed: key rotation), RenewRequested (certbridge.dev/renew-request), SecretMissing or SecretMismatch (the Secret was lost or damaged and its key with it).",
    }),
    time: timestamp.meta({ description: "When the certificate was written to the Secret." }),
  })
  .meta({ description: "The last issuance: which revision and certificate, and why. A Normal Event (Reissued) says the same for every re-issue." });

export const OrderSweep = z
  .object({
    revision: z.number().int().min(1).meta({ description: "The revision whose orders are swept." }),
    marker: z.string().max(128).meta({ description: "The marker of that revision's intent (resource UID, revision, spec hash)." }),
    publicKeySha256: sha256Hex.meta({ description: "SHA-256 of that revision's public key." }),
    fingerprint: sha256Hex.optional().meta({ description: "What that revision's orders asked for (where the vendor echoes it)." }),
    lookupName: lookupName.optional().meta({ description: "The name the orders are searched by." }),
    since: timestamp.meta({ description: "When that intent was recorded: nothing placed earlier is its." }),
    until: timestamp.meta({ description: "The last settle deadline of that revision plus a margin: sweeping stops after a pass at or after it." }),
    nextTime: timestamp.optional().meta({ description: "When the next pass is due." }),
    keep: z
      .array(vendorRef)
      .max(8)
      .meta({ description: "Orders of that revision the resource uses (never cancelled by the sweep).", "x-kubernetes-list-type": "set" }),
  })
  .meta({
    description:
      "A revision whose paid call went unanswered or was repeated: its extra orders (committed late) are looked for until `until` and cancelled or revoked, so no vendor object is left untracked.",
  });

export const PendingRevocation = z
  .object({
    vendorRef: vendorRef.meta({ description: "The vendor's id of the certificate to revoke." }),
    serialNumber: z.string().max(128).optional().meta({ description: "Its serial number (hex)." }),
    reason: z.enum(["Superseded", "Deleted"]).meta({ description: "Why it is revoked." }),
  })
  .meta({ description: "A certificate to revoke per the revocation policy." });

export const PublishedSegment = z
  .object({
    id: z.string().max(20).meta({ description: "The application segment's ZPA id." }),
    name: z.string().max(255).meta({ description: "Its name." }),
    apps: z.number().int().min(0).meta({ description: "Its browser-access apps serving the certificate." }),
  })
  .meta({ description: "An application segment serving the published certificate." });

export const RetiredZpaCopy = z
  .object({
    certificateId: z.string().max(20).meta({ description: "ZPA id of the earlier upload." }),
    name: z.string().max(255).optional().meta({ description: "Its name in ZPA." }),
    heldBy: z
      .array(z.string().max(255))
      .max(8)
      .optional()
      .meta({ description: "Application segments that still served it when last checked.", "x-kubernetes-list-type": "atomic" }),
  })
  .meta({ description: "An earlier upload waiting to be deleted from ZPA." });

export const ManagedCertificateStatus = z
  .object({
    conditions: Conditions.optional(),
    observedGeneration: observedGeneration.optional(),
    notBefore: timestamp.optional().meta({ description: "Start of the current certificate's validity." }),
    notAfter: timestamp.optional().meta({ description: "Expiry of the current certificate." }),
    renewalTime: timestamp.optional().meta({ description: "When the operator will renew the current certificate." }),
    serialNumber: z.string().max(128).optional().meta({ description: "Serial number of the current certificate (hex)." }),
    vendorRef: vendorRef.optional().meta({
      description: "The vendor's id of the current certificate (Cloudflare certificate id; Sectigo sslId, client id or deviceCertId).",
    }),
    revision: z.number().int().min(1).optional().meta({ description: "Increments with every issuance; the current certificate's revision." }),
    issuedSpecHash: z
      .string()
      .max(128)
      .optional()
      .meta({ description: "Hash of the spec fields that shape the certificate, as issued; a different hash means re-issue." }),
    secretName: dns1123Subdomain.optional().meta({ description: "The Secret last written (to clean up after spec.secretName changes)." }),
    pendingIssuance: PendingIssuance.optional(),
    orderIntentTaken: z.string().max(64).optional().meta({
      description:
        "The id of the certbridge.dev/order-intent annotation whose intent status has taken over (continued in pendingIssuance, or ended): that annotation is history from then on (ADR 0020).",
    }),
    orderSweeps: z
      .array(OrderSweep)
      .max(8)
      .optional()
      .meta({ description: "Revisions whose extra orders are still looked for (see OrderSweep).", "x-kubernetes-list-type": "atomic" }),
    pendingRevocations: z
      .array(PendingRevocation)
      .max(32)
      .optional()
      .meta({
        description: "Certificates waiting to be revoked.",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["vendorRef"],
      }),
    failedIssuanceAttempts: z
      .number()
      .int()
      .min(0)
      .optional()
      .meta({ description: "Consecutive failed issuances; drives the business backoff, reset on success." }),
    lastFailureTime: timestamp.optional().meta({ description: "When the last issuance failed." }),
    lastFailureMessage: z.string().max(512).optional().meta({
      description: "Why the last issuance failed (vendor, operation, error class and the vendor's message); kept while backing off so the cause stays visible.",
    }),
    observedRenewRequest: z.string().max(256).optional().meta({ description: "The certbridge.dev/renew-request annotation value already acted on." }),
    lastIssuance: LastIssuance.optional(),
    publish: z
      .object({
        zpa: z
          .object({
            certificateId: z.string().max(20).optional().meta({ description: "ZPA id of the uploaded certificate." }),
            name: z.string().max(255).optional().meta({ description: "Its name in ZPA." }),
            serialNumber: z.string().max(128).optional().meta({ description: "Serial number of the uploaded certificate." }),
            revision: z.number().int().min(1).optional().meta({ description: "The revision uploaded." }),
            lastPublishTime: timestamp.optional().meta({ description: "When it was uploaded." }),
            connectionRef: ConnectionReference.optional().meta({
              description: "The connection the copies were uploaded through (they are removed through it after spec.publish.zpa changes or goes).",
            }),
            segments: z
              .array(PublishedSegment)
              .max(32)
              .optional()
              .meta({ description: "Application segments confirmed serving the uploaded certificate.", "x-kubernetes-list-type": "atomic" }),
            segmentSelectorsHash: z
              .string()
              .max(64)
              .optional()
              .meta({ description: "Hash of spec.publish.zpa.applicationSegments when every selected segment was last confirmed serving the certificate." }),
            retired: z.array(RetiredZpaCopy).max(32).optional().meta({
              description: "Earlier uploads still in ZPA: each is deleted once no application segment serves it.",
              "x-kubernetes-list-type": "atomic",
            }),
          })
          .meta({ description: "The certificate as uploaded to ZPA." })
          .optional(),
      })
      .optional()
      .meta({ description: "Where the certificate was published." }),
  })
  .meta({ description: "Observed state of the certificate." });
export type ManagedCertificateStatus = z.infer<typeof ManagedCertificateStatus>;

// ---------------------------------------------------------------------------------------------------
// The key Secret

/** Suffix of the owned Opaque Secret where the operator keeps a ManagedCertificate's private key. */
export const KEY_SECRET_SUFFIX = "-certbridge-key";

/** `<name>-certbridge-key`; names too long for that get a hash in the middle (Secret names stop at 253). */
export function keySecretNameOf(resourceName: string): string {
  const name = `${resourceName}${KEY_SECRET_SUFFIX}`;
  if (name.length <= 253) return name;
  const hash = createHash("sha256").update(resourceName).digest("hex").slice(0, 10);
  return `${resourceName.slice(0, 253 - KEY_SECRET_SUFFIX.length - 11)}-${hash}${KEY_SECRET_SUFFIX}`;
}

export const ManagedCertificate = withRules(
  z.object({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal("ManagedCertificate"),
    metadata: ObjectMeta,
    spec: ManagedCertificateSpec,
    status: ManagedCertificateStatus.optional(),
  }),
  [
    {
      // The key Secret is written before the order leaves; a TLS Secret of the same name could never be written.
      // (Names over 238 characters use the hashed form, which only the zod twin checks.)
      rule: "!has(self.spec) || self.spec.secretName != self.metadata.name + '" + KEY_SECRET_SUFFIX + "'",
      message: `spec.secretName must not be <metadata.name>${KEY_SECRET_SUFFIX}: that Secret holds the operator's copy of the private key`,
      fieldPath: ".spec.secretName",
      check: (mc) => mc.metadata.name === undefined || mc.spec.secretName !== keySecretNameOf(mc.metadata.name),
    },
  ],
);
export type ManagedCertificate = z.infer<typeof ManagedCertificate>;
