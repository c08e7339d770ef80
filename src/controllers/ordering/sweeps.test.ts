// Cancelling an order nobody uses: only the vendor's own refusal ends the attempt; an answer that could
// not be understood is tried again (the soak found a garbled 200 counted as a refusal, leaving an issued
// order tracked by nothing after its resource was deleted).
import { describe, expect, it } from "vitest";
import pino from "pino";
import type { CertificateAuthority } from "../../ports/certificate-authority.ts";
import { VendorError } from "../../ports/vendor-error.ts";
import { cancelOrder } from "./sweeps.ts";

const log = pino({ level: "silent" });

function withCancel(cancel: CertificateAuthority["cancel"]) {
  const notes: string[] = [];
  const ca = { cancel } as CertificateAuthority;
  return { c: { ca, signal: new AbortController().signal, log, vendor: "sectigo" as const, notify: (e: { reason: string }) => notes.push(e.reason) }, notes };
}

const failing = (kind: VendorError["kind"], httpStatus: number | undefined, message: string) => async () => {
  throw new VendorError({ kind, vendor: "sectigo", operation: "ssl.get", message, ...(httpStatus === undefined ? {} : { httpStatus }) });
};

describe("cancelOrder", () => {
  it("a garbled 200 while cancelling is not a refusal: it throws, so the order is cancelled on a later pass", async () => {
    const { c, notes } = withCancel(failing("permanent", 200, "response did not match the expected schema (status: invalid_type)"));
    await expect(cancelOrder(c, "ssl:1043")).rejects.toMatchObject({ kind: "permanent", httpStatus: 200 });
    expect(notes).toEqual([]);
  });

  it("the vendor's own refusal (409: the order cannot be cancelled in its state) is final, with a Warning saying what to do", async () => {
    const { c, notes } = withCancel(failing("conflict", 409, "order is not in a cancellable state"));
    await expect(cancelOrder(c, "ssl:1043")).resolves.toEqual({ done: true, how: "alreadyFinal" });
    expect(notes).toEqual(["CancelRefused"]);
  });

  it("no answer at all is retried too", async () => {
    const { c } = withCancel(failing("transient", undefined, "no answer within 30 s"));
    await expect(cancelOrder(c, "ssl:1043")).rejects.toBeInstanceOf(VendorError);
  });
});
