import { describe, expect, it } from "vitest";
import { Writable } from "node:stream";
import { createLogger } from "./logger.ts";

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, log: createLogger({ destination, level: "debug" }) };
}

const pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----";
const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0ZXN0dXNlcjEyMyJ9.c2lnbmF0dXJlc2lnbmF0dXJl";

describe("logger redaction", () => {
  it.each([
    { why: "PEM in a message string", emit: (l: ReturnType<typeof capture>["log"]) => l.info(`got ${pem}`), leak: "MIIEvQ" },
    { why: "PEM in a nested field", emit: (l: ReturnType<typeof capture>["log"]) => l.info({ secret: { data: { "tls.crt": pem } } }, "x"), leak: "MIIEvQ" },
    {
      why: "a token under a secret-named key",
      emit: (l: ReturnType<typeof capture>["log"]) => l.info({ password: "hunter2-very-secret" }, "x"),
      leak: "hunter2",
    },
    {
      why: "a JWT inside an error message",
      emit: (l: ReturnType<typeof capture>["log"]) => l.warn({ err: new Error(`bad token ${jwt}`) }, "x"),
      leak: "c2lnbmF0dXJl",
    },
    {
      why: "a bearer header",
      emit: (l: ReturnType<typeof capture>["log"]) => l.debug({ headers: { auth: "Bearer abcdefghijklmnop" } }, "x"),
      leak: "abcdefghijklmnop",
    },
    {
      why: "a provisioning key field",
      emit: (l: ReturnType<typeof capture>["log"]) => l.info({ provisioningKey: "2|api.private.zscaler.com|abc" }, "x"),
      leak: "2|api",
    },
  ])("scrubs $why", ({ emit, leak }) => {
    const c = capture();
    emit(c.log);
    expect(c.lines).toHaveLength(1);
    expect(c.lines[0]).not.toContain(leak);
    expect(c.lines[0]).toMatch(/REDACTED/);
  });

  it("keeps ordinary fields", () => {
    const c = capture();
    c.log.info({ key: "apps/web", name: "web-tls", namespace: "apps" }, "issued");
    expect(JSON.parse(c.lines[0] ?? "{}")).toMatchObject({ key: "apps/web", name: "web-tls", namespace: "apps", msg: "issued", level: "info" });
  });
});
