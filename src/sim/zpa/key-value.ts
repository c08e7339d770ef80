// Provisioning key values in ZPA's shape: "<n>|<cloud host>|<base64>", e.g. "3|sample.test.net|yy6CC…".
import { randomBytes } from "node:crypto";

export const PROVISIONING_KEY_FORMAT = /^\d+\|[A-Za-z0-9.-]+\|[A-Za-z0-9+/=]+$/;

export function provisioningKeyGenerator(opts: { prefix?: string; cloudHost?: string; bytes?: number } = {}): () => string {
  const prefix = opts.prefix ?? "3";
  const host = opts.cloudHost ?? "zpa-sim.test";
  const bytes = opts.bytes ?? 192;
  return () => `${prefix}|${host}|${randomBytes(bytes).toString("base64")}`;
}
