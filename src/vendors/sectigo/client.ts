// The SCM client: one connection, one client per certificate family, plus organizations.
import type { VendorHttp } from "../shared/http.ts";
import { ClientCertClient } from "./smime.ts";
import { DeviceCertClient } from "./device.ts";
import { OrganizationClient } from "./organizations.ts";
import { SslClient } from "./ssl.ts";
import { createSectigoHttp, type SectigoConnectionOptions } from "./transport.ts";

export interface SectigoClient {
  readonly ssl: SslClient;
  readonly smime: ClientCertClient;
  readonly device: DeviceCertClient;
  readonly organizations: OrganizationClient;
  readonly http: VendorHttp;
}

export function createSectigoClient(opts: SectigoConnectionOptions): SectigoClient {
  const http = createSectigoHttp(opts);
  return {
    ssl: new SslClient(http),
    smime: new ClientCertClient(http),
    device: new DeviceCertClient(http),
    organizations: new OrganizationClient(http),
    http,
  };
}
