// The CRDs, built from the zod schemas in src/api/v1alpha1. Pure: main.ts writes them, the
// unit test compares them with crds/*.yaml.
import { dump } from "js-yaml";
import type { z } from "zod";
import {
  CATEGORY,
  ClusterVendorConnectionSpec,
  ConnectionStatus,
  crdName,
  GROUP,
  type KindNames,
  kinds,
  ManagedCertificate,
  ManagedCertificateSpec,
  ManagedCertificateStatus,
  ProvisioningKeySpec,
  ProvisioningKeyStatus,
  VendorConnectionSpec,
  VERSION,
  ClusterVendorIssuerSpec,
  VendorIssuerSpec,
  VendorIssuerStatus,
} from "../v1alpha1/index.ts";
import { type JSONSchemaProps, lintStructural, toStructural } from "./structural.ts";

export interface PrinterColumn {
  readonly name: string;
  readonly type: "string" | "integer" | "number" | "boolean" | "date";
  readonly jsonPath: string;
  readonly description: string;
  readonly priority?: number;
}

export interface KindDefinition {
  readonly names: KindNames;
  readonly description: string;
  readonly spec: z.ZodType;
  readonly status: z.ZodType;
  readonly printerColumns: readonly PrinterColumn[];
  /** The whole-object schema, when it carries CEL rules of its own (they may read metadata.name). */
  readonly root?: z.ZodType;
}

const ready: PrinterColumn = {
  name: "Ready",
  type: "string",
  jsonPath: '.status.conditions[?(@.type=="Ready")].status',
  description: "Whether the resource is Ready.",
};
const reason: PrinterColumn = {
  name: "Reason",
  type: "string",
  jsonPath: '.status.conditions[?(@.type=="Ready")].reason',
  description: "Why it is or is not Ready.",
  priority: 1,
};
const age: PrinterColumn = { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp", description: "Age of the resource." };
const vendor: PrinterColumn = { name: "Vendor", type: "string", jsonPath: ".status.vendor", description: "The connection's vendor." };
const issuerConnection: PrinterColumn = {
  name: "Connection",
  type: "string",
  jsonPath: ".spec.connectionRef.name",
  description: "The connection the issuer orders through.",
};

export const definitions: readonly KindDefinition[] = [
  {
    names: kinds.ManagedCertificate,
    description:
      "ManagedCertificate keeps a certificate issued by Sectigo or Cloudflare valid in a kubernetes.io/tls Secret: it issues, renews before expiry, and revokes per policy.",
    spec: ManagedCertificateSpec,
    status: ManagedCertificateStatus,
    root: ManagedCertificate,
    printerColumns: [
      ready,
      { name: "Secret", type: "string", jsonPath: ".spec.secretName", description: "The Secret holding the certificate." },
      // Future times as "date" columns print as <invalid> in kubectl (it renders ages); show the timestamp.
      { name: "Expires", type: "string", jsonPath: ".status.notAfter", description: "Expiry of the current certificate." },
      reason,
      { name: "Renewal", type: "string", jsonPath: ".status.renewalTime", description: "When it will be renewed.", priority: 1 },
      age,
    ],
  },
  {
    names: kinds.ProvisioningKey,
    description: "ProvisioningKey manages a ZPA provisioning key for an App Connector or Service Edge group and delivers it into a Secret.",
    spec: ProvisioningKeySpec,
    status: ProvisioningKeyStatus,
    printerColumns: [
      ready,
      { name: "Secret", type: "string", jsonPath: ".spec.secretName", description: "The Secret holding the key." },
      { name: "Usage", type: "integer", jsonPath: ".status.usageCount", description: "Enrollments that used the key." },
      { name: "Max", type: "integer", jsonPath: ".status.maxUsage", description: "Enrollments the key allows." },
      reason,
      { name: "ZPA ID", type: "string", jsonPath: ".status.id", description: "ZPA id of the key.", priority: 1 },
      age,
    ],
  },
  {
    names: kinds.VendorConnection,
    description:
      "VendorConnection holds a vendor endpoint (ZPA, Cloudflare or Sectigo) and a reference to the credentials Secret, for resources in its namespace.",
    spec: VendorConnectionSpec,
    status: ConnectionStatus,
    printerColumns: [vendor, ready, reason, age],
  },
  {
    names: kinds.ClusterVendorConnection,
    description: "ClusterVendorConnection is a cluster-scoped vendor connection; its namespaceSelector decides which namespaces' resources may use it.",
    spec: ClusterVendorConnectionSpec,
    status: ConnectionStatus,
    printerColumns: [vendor, ready, reason, age],
  },
  {
    names: kinds.VendorIssuer,
    description:
      "VendorIssuer is a cert-manager external issuer (issuerRef group certbridge.dev): CertificateRequests naming it in this namespace are ordered from Sectigo or Cloudflare through its connection.",
    spec: VendorIssuerSpec,
    status: VendorIssuerStatus,
    printerColumns: [vendor, issuerConnection, ready, reason, age],
  },
  {
    names: kinds.ClusterVendorIssuer,
    description:
      "ClusterVendorIssuer is a cluster-scoped cert-manager external issuer: CertificateRequests in any namespace its ClusterVendorConnection admits are ordered through it.",
    spec: ClusterVendorIssuerSpec,
    status: VendorIssuerStatus,
    printerColumns: [vendor, issuerConnection, ready, reason, age],
  },
];

export interface BuiltCrd {
  readonly fileName: string;
  readonly crd: JSONSchemaProps;
  readonly problems: readonly string[];
}

export function buildCrd(def: KindDefinition): BuiltCrd {
  const spec = toStructural(def.spec, "spec");
  const status = toStructural(def.status, "status");
  const openAPIV3Schema: JSONSchemaProps = {
    description: def.description,
    type: "object",
    properties: {
      apiVersion: {
        description: "APIVersion defines the versioned schema of this representation of an object.",
        type: "string",
      },
      kind: {
        description: "Kind is a string value representing the REST resource this object represents.",
        type: "string",
      },
      metadata: { type: "object" },
      spec: spec.schema,
      status: status.schema,
    },
    required: ["spec"],
    ...rootValidations(def.root),
  };
  const problems = [...spec.problems, ...status.problems, ...lintStructural(spec.schema, "spec"), ...lintStructural(status.schema, "status")];
  const n = def.names;
  const crd: JSONSchemaProps = {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: crdName(n),
      labels: { "app.kubernetes.io/name": "certbridge", "app.kubernetes.io/part-of": "certbridge" },
    },
    spec: {
      group: GROUP,
      names: {
        kind: n.kind,
        listKind: n.listKind,
        plural: n.plural,
        singular: n.singular,
        shortNames: [...n.shortNames],
        categories: [CATEGORY],
      },
      scope: n.scope,
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: def.printerColumns.map((c) => ({ ...c })),
          schema: { openAPIV3Schema },
        },
      ],
    },
  };
  return { fileName: `${GROUP}_${n.plural}.yaml`, crd, problems };
}

function rootValidations(root: z.ZodType | undefined): JSONSchemaProps {
  const rules = (root?.meta() as Record<string, unknown> | undefined)?.["x-kubernetes-validations"];
  return Array.isArray(rules) && rules.length > 0 ? { "x-kubernetes-validations": rules } : {};
}

export function buildCrds(): BuiltCrd[] {
  return definitions.map(buildCrd);
}

const HEADER = "# Generated by `npm run gen:crds` from src/api/v1alpha1 (zod). Do not edit by hand.\n";

export function renderCrd(crd: JSONSchemaProps): string {
  return HEADER + dump(crd, { noRefs: true, lineWidth: -1 });
}
