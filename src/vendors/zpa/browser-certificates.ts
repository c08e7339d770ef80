// BrowserCertificateStore over the ZPA client: where ManagedCertificate publishes a certificate and
// its key for Browser Access. ZPA cannot replace a certificate in place (only name and description
// change), so publishing a renewal means upload new → repoint (application-segments.ts) → delete old,
// which callers drive. ZPA refuses to delete a certificate a segment still serves: that refusal
// surfaces as a `conflict` VendorError with vendorCode "resource.referenced", never as success.
import type { BrowserCertificateStore, NamedRef } from "../../ports/provisioning-keys.ts";
import { isVendorError, type VendorError } from "../shared/errors.ts";
import type { CallOptions, ZpaClient } from "./client.ts";

export class ZpaBrowserCertificateStore implements BrowserCertificateStore {
  readonly #client: ZpaClient;

  constructor(client: ZpaClient) {
    this.#client = client;
  }

  async upload(
    input: { name: string; description?: string; certificatePem: string; privateKeyPem: string; microtenantId?: string },
    signal: AbortSignal,
  ): Promise<NamedRef> {
    // ZPA takes certificate (chain allowed) and key as one PEM string.
    const certBlob = `${withNewline(input.certificatePem)}${withNewline(input.privateKeyPem)}`;
    const created = await this.#client.createCertificate(
      { certBlob, name: input.name, ...(input.description === undefined ? {} : { description: input.description }) },
      callOptions(signal, input.microtenantId),
    );
    return { id: created.id, name: created.name };
  }

  async findByName(name: string, microtenantId: string | undefined, signal: AbortSignal): Promise<NamedRef | undefined> {
    const found = await this.#client.findCertificateByName(name, callOptions(signal, microtenantId));
    return found === undefined ? undefined : { id: found.id, name: found.name };
  }

  async delete(id: string, microtenantId: string | undefined, signal: AbortSignal): Promise<void> {
    try {
      await this.#client.deleteCertificate(id, callOptions(signal, microtenantId));
    } catch (e) {
      if (isVendorError(e) && e.kind === "notFound") return;
      if (isCertificateInUse(e)) throw e.with({ kind: "conflict", message: `certificate ${id} is still used: ${e.detail}` });
      throw e;
    }
  }
}

/**
 * ZPA's answer to deleting an object another one references: 400 resource.referenced, "Resource is
 * being referenced in Application : <segment>." (help portal, browser-access application segments page).
 */
export function isCertificateInUse(e: unknown): e is VendorError {
  return isVendorError(e) && e.vendorCode === "resource.referenced";
}

function withNewline(pem: string): string {
  return pem.endsWith("\n") ? pem : `${pem}\n`;
}

function callOptions(signal: AbortSignal, microtenantId: string | undefined): CallOptions {
  return microtenantId === undefined ? { signal } : { signal, microtenantId };
}
