// Deleting ZPA copies of the certificate, safely: a copy is deleted only once no application segment
// serves it (segmentsUsing empty). Deleting one a segment serves would take the app's certificate
// away; ZPA refuses it anyway. A copy still served is kept and named with the segments that hold it,
// for the caller to report and to try again later. Repeating this after a crash is harmless: a copy
// already gone is counted as deleted.
import type { ApplicationSegmentService } from "../../ports/application-segments.ts";
import type { BrowserCertificateStore } from "../../ports/provisioning-keys.ts";
import { VendorError } from "../../ports/vendor-error.ts";
import type { RetiredCopy } from "./publish-plan.ts";

export interface RetirePass {
  readonly deleted: RetiredCopy[];
  /** Copies kept because segments still serve them (heldBy: their names, when known). */
  readonly held: RetiredCopy[];
}

export interface RetirePorts {
  readonly store: BrowserCertificateStore;
  /** Absent in builds without application segments: ZPA's own refusal is then the only guard. */
  readonly segments: ApplicationSegmentService | undefined;
  readonly microtenantId: string | undefined;
  readonly signal: AbortSignal;
  readonly onCall: (operation: string) => void;
}

/** Deletes each copy no segment serves; keeps the others. Throws VendorError for anything but "gone" and "still used". */
export async function retireCopies(ports: RetirePorts, copies: readonly RetiredCopy[]): Promise<RetirePass> {
  const pass: RetirePass = { deleted: [], held: [] };
  for (const copy of copies) {
    const users = ports.segments === undefined ? [] : await ports.segments.segmentsUsing(copy.certificateId, ports.microtenantId, ports.signal);
    if (ports.segments !== undefined) ports.onCall("listSegments");
    if (users.length > 0) {
      pass.held.push({ ...withoutHolders(copy), heldBy: users.slice(0, 8).map((s) => s.name) });
      continue;
    }
    try {
      await ports.store.delete(copy.certificateId, ports.microtenantId, ports.signal);
      ports.onCall("deleteCertificate");
      pass.deleted.push(withoutHolders(copy));
    } catch (error) {
      if (!(error instanceof VendorError)) throw error;
      if (error.kind === "notFound") pass.deleted.push(withoutHolders(copy));
      // A segment took it between the look and the delete (ZPA refused): kept, looked at again later.
      else if (error.kind === "conflict") pass.held.push(withoutHolders(copy));
      else throw error;
    }
  }
  return pass;
}

function withoutHolders(copy: RetiredCopy): RetiredCopy {
  const { heldBy: _, ...rest } = copy;
  return rest;
}
