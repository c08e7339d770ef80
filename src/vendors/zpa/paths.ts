// Every ZPA path the client uses, in one place. The OneAPI gateway serves the same paths under /zpa.
import type { AssociationType } from "./wire.ts";

const enc = encodeURIComponent;

export function zpaPaths(prefix: "" | "/zpa", customerId: string) {
  const v1 = `${prefix}/mgmtconfig/v1/admin/customers/${enc(customerId)}`;
  const v2 = `${prefix}/mgmtconfig/v2/admin/customers/${enc(customerId)}`;
  return {
    provisioningKeys: (t: AssociationType) => `${v1}/associationType/${t}/provisioningKey`,
    provisioningKey: (t: AssociationType, id: string) => `${v1}/associationType/${t}/provisioningKey/${enc(id)}`,
    // List is v2 only; get-by-id is v1 only.
    enrollmentCerts: () => `${v2}/enrollmentCert`,
    enrollmentCert: (id: string) => `${v1}/enrollmentCert/${enc(id)}`,
    certificates: () => `${v1}/certificate`,
    certificate: (id: string) => `${v1}/certificate/${enc(id)}`,
    issuedCertificates: () => `${v2}/certificate/issued`,
    connectorGroups: () => `${v1}/appConnectorGroup`,
    connectorGroup: (id: string) => `${v1}/appConnectorGroup/${enc(id)}`,
    serviceEdgeGroups: () => `${v1}/serviceEdgeGroup`,
    serviceEdgeGroup: (id: string) => `${v1}/serviceEdgeGroup/${enc(id)}`,
    // Application segments (browser access included) and what they hang on. getAppsByType takes
    // applicationType=BROWSER_ACCESS|INSPECT|SECURE_REMOTE_ACCESS (help portal: Application Segment Management).
    applications: () => `${v1}/application`,
    application: (id: string) => `${v1}/application/${enc(id)}`,
    applicationsByType: () => `${v1}/application/getAppsByType`,
    segmentGroups: () => `${v1}/segmentGroup`,
    serverGroups: () => `${v1}/serverGroup`,
  };
}
