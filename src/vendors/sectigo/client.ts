// The SCM client: one connection, one client per certificate family (each driven by its row in
// families.ts), plus organizations.
import type { VendorHttp } from "../shared/http.ts";
import { CertificateFamilyClient } from "./certificates.ts";
import { DEVICE, SMIME, SSL } from "./families.ts";
import { OrganizationClient } from "./organizations.ts";
import { createSectigoHttp, type SectigoConnectionOptions } from "./transport.ts";

export interface SectigoClient {
  readonly ssl: CertificateFamilyClient<"ssl">;
  readonly smime: CertificateFamilyClient<"smime">;
  readonly device: CertificateFamilyClient<"device">;
  readonly organizations: OrganizationClient;
  readonly http: VendorHttp;
}

export function createSectigoClient(opts: SectigoConnectionOptions): SectigoClient {
  const http = createSectigoHttp(opts);
  return {
    ssl: new CertificateFamilyClient(http, SSL),
    smime: new CertificateFamilyClient(http, SMIME),
    device: new CertificateFamilyClient(http, DEVICE),
    organizations: new OrganizationClient(http),
    http,
  };
}
