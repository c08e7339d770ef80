// BrowserCertificateStore over the ZPA client: where ManagedCertificate publishes a certificate and
// its key for Browser Access. ZPA cannot replace a certificate in place (only name and description
// change), so publishing a renewal means upload new → repoint → delete old, which callers drive.
import type { BrowserCertificateStore, NamedRef } from "../../ports/provisioning-keys.ts";
import { isVendorError } from "../shared/errors.ts";
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
      throw e;
    }
  }
}

function withNewline(pem: string): string {
  return pem.endsWith("\n") ? pem : `${pem}\n`;
}

function callOptions(signal: AbortSignal, microtenantId: string | undefined): CallOptions {
  return microtenantId === undefined ? { signal } : { signal, microtenantId };
}
