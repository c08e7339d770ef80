// A VendorIssuer or ClusterVendorIssuer as the controllers use it: parsed once (defaults applied, rules
// checked), with its vendor block tagged and the connection it names. Shared by the issuer controller
// (Ready) and the CertificateRequest controller (what to order, through which connection).
import {
  type AnyVendorIssuerSpec,
  type IssuerCloudflare,
  type IssuerSectigo,
  kinds,
  parseClusterVendorIssuer,
  parseVendorIssuer,
  problemsMessage,
  resourceTypes,
} from "../../api/v1alpha1/index.ts";
import type { KubeObject, ResourceType } from "../../runtime/kube/resource.ts";
import type { ConnectionRef } from "../shared/connections.ts";

export type IssuerKind = "VendorIssuer" | "ClusterVendorIssuer";

/** The issuer's vendor block, tagged (a parsed issuer spec carries exactly one). */
export type IssuerOptions =
  | { readonly vendor: "sectigo"; readonly options: IssuerSectigo }
  | { readonly vendor: "cloudflare"; readonly options: IssuerCloudflare };

export const issuerTypes: Readonly<Record<IssuerKind, ResourceType>> = {
  VendorIssuer: resourceTypes.vendorIssuers,
  ClusterVendorIssuer: resourceTypes.clusterVendorIssuers,
};

export interface Issuer {
  readonly kind: IssuerKind;
  readonly name: string;
  /** A VendorIssuer's namespace; none for a ClusterVendorIssuer. */
  readonly namespace?: string | undefined;
  readonly spec: AnyVendorIssuerSpec;
  readonly options: IssuerOptions;
  readonly connectionRef: ConnectionRef;
}

export type ParsedIssuer = { readonly ok: true; readonly issuer: Issuer } | { readonly ok: false; readonly message: string };

export function parseIssuer(kind: IssuerKind, object: KubeObject): ParsedIssuer {
  // The spec is what matters here; the status is ours and read apart.
  const { status: _status, ...rest } = object as KubeObject & { status?: unknown };
  const parsed = kind === "VendorIssuer" ? parseVendorIssuer(rest) : parseClusterVendorIssuer(rest);
  const described = `${kind} ${object.metadata.name ?? ""}`;
  if (!parsed.ok) return { ok: false, message: `${described} is invalid: ${problemsMessage(parsed.problems)}` };
  const spec = parsed.value.spec;
  const options: IssuerOptions | undefined =
    spec.sectigo !== undefined
      ? { vendor: "sectigo", options: spec.sectigo }
      : spec.cloudflare !== undefined
        ? { vendor: "cloudflare", options: spec.cloudflare }
        : undefined;
  if (options === undefined) return { ok: false, message: `${described} names no vendor` };
  return {
    ok: true,
    issuer: {
      kind,
      name: object.metadata.name ?? "",
      ...(kind === "VendorIssuer" ? { namespace: object.metadata.namespace } : {}),
      spec,
      options,
      connectionRef: { kind: spec.connectionRef.kind, name: spec.connectionRef.name },
    },
  };
}

/** "VendorIssuer web/sectigo" or "ClusterVendorIssuer shared": an issuer in messages. */
export function issuerName(kind: IssuerKind, namespace: string | undefined, name: string): string {
  return kind === "VendorIssuer" ? `${kinds.VendorIssuer.kind} ${namespace ?? ""}/${name}` : `${kinds.ClusterVendorIssuer.kind} ${name}`;
}

/** The informer key of the issuer a request in `namespace` names (a VendorIssuer is in the request's namespace). */
export function issuerKey(kind: IssuerKind, namespace: string | undefined, name: string): string {
  return kind === "VendorIssuer" ? `${namespace ?? ""}/${name}` : name;
}
