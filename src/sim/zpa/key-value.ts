// Provisioning key values in ZPA's shape. The documents show "<n>|<cloud host>|<base64>"
// ("3|sample.test.net|yy6CC…", zpa-provisioning-keys.txt); real keys add a dash and a decimal id after
// 384 base64 characters (288 bytes, no padding): "3|api.private.zscaler.com|xxuCG…Dw6l-216196257331311369"
// (recorded: zscaler/zscaler-sdk-python, tests/integration/zpa/cassettes/TestAppConnectorGroupProvisioningKey.yaml).
// The simulator makes the recorded shape; the format check accepts both.
import { randomBytes } from "node:crypto";

export const PROVISIONING_KEY_FORMAT = /^\d+\|[A-Za-z0-9.-]+\|[A-Za-z0-9+/]+={0,2}(-\d+)?$/;

export function provisioningKeyGenerator(opts: { prefix?: string; cloudHost?: string; bytes?: number; shape?: "recorded" | "documented" } = {}): () => string {
  const prefix = opts.prefix ?? "3";
  const host = opts.cloudHost ?? "zpa-sim.test";
  const bytes = opts.bytes ?? 288;
  // The trailing id looks like the tenant's other 64-bit ids (above 2^53, as everything here).
  let serial = 216196257331300000n + BigInt(randomBytes(2).readUInt16BE(0));
  return () => {
    const body = `${prefix}|${host}|${randomBytes(bytes).toString("base64")}`;
    if (opts.shape === "documented") return body;
    serial += 1n + BigInt(randomBytes(1)[0]!);
    return `${body}-${serial.toString()}`;
  };
}
