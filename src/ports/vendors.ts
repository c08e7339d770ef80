import type { ApplicationSegmentService } from "./application-segments.ts";
import type { CertificateAuthority } from "./certificate-authority.ts";
import type { ConnectionVerifier, ResolvedConnection } from "./connection.ts";
import type { ProvisioningKeyClients } from "./managed-provisioning-keys.ts";
import type { BrowserCertificateStore, ProvisioningKeyService } from "./provisioning-keys.ts";

/**
 * The one seam between controllers and vendor code: give it a resolved connection, get the port the
 * controller needs. Implementations cache clients per connection fingerprint (tokens, rate limiters).
 */
export interface VendorPorts extends ConnectionVerifier, ProvisioningKeyClients {
  certificateAuthority(connection: ResolvedConnection): CertificateAuthority;
  provisioningKeys(connection: ResolvedConnection): ProvisioningKeyService;
  browserCertificates(connection: ResolvedConnection): BrowserCertificateStore;
  applicationSegments(connection: ResolvedConnection): ApplicationSegmentService;
}
