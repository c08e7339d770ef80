// What the transport (client.ts) needs to reach the API server, whichever source it came from: the
// in-cluster service account (config.ts) or a kubeconfig (kubeconfig-client-node.ts).

export interface KubeTlsOptions {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly servername?: string;
  readonly rejectUnauthorized: boolean;
}

/** Request headers; a list value is sent as repeated headers (Impersonate-Group takes one group per header). */
export type KubeHeaders = Readonly<Record<string, string | readonly string[]>>;

export interface ClientCertificate {
  readonly cert: Buffer;
  readonly key: Buffer;
}

export interface KubeConnectionConfig {
  /** Base URL of the API server, without a trailing slash. */
  readonly server: string;
  /** Static TLS material; a client certificate that can change (exec plugin, rotated files) comes from `clientCertificate`. */
  readonly tls: KubeTlsOptions;
  /** Headers to send with each request (Authorization, Impersonate-*); cheap to call: sources cache themselves. */
  readonly auth: () => Promise<KubeHeaders>;
  /** Present when the client certificate may change; the transport is rebuilt when it does. */
  readonly clientCertificate?: () => Promise<ClientCertificate | undefined>;
  /**
   * The server answered 401 to a request sent with `refused` (what `auth` returned): obtain fresh
   * credentials (re-read the token, run the exec plugin again). Concurrent callers share one refresh.
   */
  readonly refreshCredentials?: (refused: KubeHeaders) => Promise<void>;
  /** An HTTP(S) or SOCKS5 proxy every connection to the server goes through (kubeconfig `proxy-url`). */
  readonly proxyUrl?: string;
  readonly contextName?: string;
  /** The context's default namespace (kubeconfig `contexts[].context.namespace`), for command-line tools; the operator ignores it. */
  readonly namespace?: string;
  /** Where the configuration came from, for the start-up log line (a path or "in-cluster"). */
  readonly source?: string;
}

/** Rotating credentials (projected service account tokens, tokenFile, kubeconfig files) are re-read at most this often. */
export const TOKEN_REREAD_MS = 60_000;

export class KubeConfigError extends Error {
  override readonly name = "KubeConfigError";
}

export const trimServer = (server: string): string => server.replace(/\/+$/, "");
