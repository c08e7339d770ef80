// The connections to the API server: TLS material and proxy from the connection config, one pooled
// dispatcher for the life of the client, and a one-connection dispatcher per watch.
import { Agent, type Dispatcher, ProxyAgent } from "undici";
import type { ClientCertificate, KubeConnectionConfig } from "./connection.ts";

export interface Transport {
  readonly dispatcher: Dispatcher;
  /** A dispatcher of its own with one connection, for a watch; same TLS and proxy as `dispatcher`. */
  readonly dedicated: () => Dispatcher;
  /** The client certificate this transport was built with, to notice when it changes. */
  readonly clientCert: ClientCertificate | undefined;
}

export class KubeTransport {
  readonly #config: KubeConnectionConfig;
  #current: Transport | undefined;
  #pending: Promise<Transport> | undefined;

  constructor(config: KubeConnectionConfig) {
    this.#config = config;
  }

  /**
   * The pooled transport. Only a client certificate that changes (exec plugin, rotated files) changes
   * the TLS material; then a new one is built and in-flight requests (long watches too) finish on the old.
   */
  async resolve(): Promise<Transport> {
    const clientCert = await this.#config.clientCertificate?.();
    const current = this.#current;
    if (current && sameCert(current.clientCert, clientCert)) return current;
    this.#pending ??= Promise.resolve()
      .then(() => {
        const transport = this.#build(clientCert);
        const previous = this.#current;
        this.#current = transport;
        if (previous) void previous.dispatcher.close().catch(() => {});
        return transport;
      })
      .finally(() => {
        this.#pending = undefined;
      });
    return this.#pending;
  }

  async close(): Promise<void> {
    const transport = this.#current;
    this.#current = undefined;
    if (transport) await transport.dispatcher.close();
  }

  #build(clientCert: ClientCertificate | undefined): Transport {
    const tls = this.#config.tls;
    const cert = clientCert ?? (tls.cert && tls.key ? { cert: tls.cert, key: tls.key } : undefined);
    const connect = {
      ...(tls.ca ? { ca: tls.ca } : {}),
      ...(cert ? { cert: cert.cert, key: cert.key } : {}),
      ...(tls.servername ? { servername: tls.servername } : {}),
      ...(tls.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
    };
    const proxyUrl = this.#config.proxyUrl;
    // Through a proxy (kubeconfig proxy-url) each connection is a CONNECT tunnel (SOCKS5 for socks5://),
    // with the API server's TLS inside it; undici's ProxyAgent takes that TLS as requestTls.
    const dispatcherWith = (pool: { connections: number; keepAliveTimeout?: number; pipelining?: number }): Dispatcher =>
      proxyUrl ? new ProxyAgent({ uri: proxyUrl, requestTls: connect, ...pool }) : new Agent({ connect, ...pool });
    return {
      dispatcher: dispatcherWith({ keepAliveTimeout: 30_000, connections: 64 }),
      dedicated: () => dispatcherWith({ connections: 1, pipelining: 0 }),
      clientCert,
    };
  }
}

const sameCert = (a: ClientCertificate | undefined, b: ClientCertificate | undefined): boolean =>
  a === b || (a !== undefined && b !== undefined && a.cert.equals(b.cert) && a.key.equals(b.key));
