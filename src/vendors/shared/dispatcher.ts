// The HTTP dispatcher is injected into every vendor client: custom CA bundles (private PKI, the
// simulators) and corporate proxies are configured here, once.
import { Agent, ProxyAgent, type Dispatcher } from "undici";

export interface DispatcherOptions {
  /** PEM bundle that replaces the default roots for the vendor (upstream) TLS connection. */
  readonly caBundlePem?: string;
  /** http:// or https:// proxy; HTTPS targets are tunnelled with CONNECT. */
  readonly proxyUrl?: string;
  readonly connectTimeoutMs?: number;
  /** Idle keep-alive sockets are closed after this long. */
  readonly keepAliveTimeoutMs?: number;
  /** A TLS client certificate (PEM, leaf first) and its key, presented to the vendor (mutual TLS). */
  readonly clientCertificate?: { readonly certPem: string; readonly keyPem: string };
}

export function createDispatcher(opts: DispatcherOptions = {}): Dispatcher {
  const connectTimeout = opts.connectTimeoutMs ?? 10_000;
  const tls = {
    ...(opts.caBundlePem === undefined ? {} : { ca: opts.caBundlePem }),
    ...(opts.clientCertificate === undefined ? {} : { cert: opts.clientCertificate.certPem, key: opts.clientCertificate.keyPem }),
  };
  const common = {
    keepAliveTimeout: opts.keepAliveTimeoutMs ?? 30_000,
    connectTimeout,
  };
  if (opts.proxyUrl !== undefined && opts.proxyUrl !== "") {
    const proxy = new URL(opts.proxyUrl);
    if (proxy.protocol !== "http:" && proxy.protocol !== "https:") {
      throw new Error(`unsupported proxy protocol ${proxy.protocol} (use http: or https:)`);
    }
    return new ProxyAgent({
      ...common,
      uri: proxy.toString(),
      requestTls: { ...tls, timeout: connectTimeout },
      proxyTls: { timeout: connectTimeout },
    });
  }
  return new Agent({ ...common, connect: { ...tls, timeout: connectTimeout } });
}
