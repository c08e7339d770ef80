// SCM error responses as the simulator sends them: `{"code", "description"}` with the documented
// message text (parameters filled in, doubled apostrophes kept, as SCM does).
import { SECTIGO_ERROR_CODES } from "../../vendors/sectigo/error-codes.ts";

export class ScmFault extends Error {
  readonly status: number;
  readonly code: number;
  readonly description: string;
  constructor(status: number, code: number, description: string) {
    super(`SCM fault ${code}`);
    this.status = status;
    this.code = code;
    this.description = description;
  }
  body(): { code: number; description: string } {
    return { code: this.code, description: this.description };
  }
}

/**
 * A fault with the documented text of `code`. `variant` picks among codes documented twice (the
 * start of the message). Parameters replace {0}, {1}, … in order.
 */
export function scmFault(status: number, code: number, params: readonly (string | number)[] = [], variant?: string): ScmFault {
  const rows = SECTIGO_ERROR_CODES.filter((r) => r.code === code);
  const row = (variant === undefined ? undefined : rows.find((r) => r.message.startsWith(variant))) ?? rows[0];
  if (row === undefined) throw new Error(`undocumented SCM code ${code}`);
  const description = row.message.replace(/\{(\d+)\}/g, (_m, i: string) => String(params[Number(i)] ?? ""));
  return new ScmFault(status, code, description);
}

export const faults = {
  unknownUser: () => scmFault(401, -16),
  missing: (field: string) => scmFault(400, -7, [field]),
  invalidField: (field: string) => scmFault(400, -1601, [field]),
  orgInvalid: () => scmFault(400, -639),
  sslProfileNotFound: (id: unknown) => scmFault(400, -111, [String(id)]),
  clientProfileInvalid: () => scmFault(400, -172),
  deviceProfileNotFound: () => scmFault(400, -5109),
  termInvalid: () => scmFault(400, -36),
  csrNotBase64: () => scmFault(400, -9, [], "The CSR"),
  csrDecode: () => scmFault(400, -10),
  csrInvalid: () => scmFault(400, -138),
  csrKeyTooSmall: (bits: number) => scmFault(400, -141, [bits]),
  missingCustomField: () => scmFault(400, -62, [], "Missing"),
  customFieldUnknown: () => scmFault(400, -135),
  optionalFieldInvalid: () => scmFault(400, -64),
  dcvIncomplete: (domain: string) => scmFault(400, -107, [domain]),
  sslNotFound: (id: unknown) => scmFault(404, -124, [String(id)]),
  renewTargetNull: () => scmFault(404, -123),
  certNotFound: (id: unknown) => scmFault(404, -5101, [String(id)]),
  beingProcessed: () => new ScmFault(400, 0, "Being processed by Sectigo"),
  notCollectable: () => scmFault(400, -183),
  revokedNoDownload: () => scmFault(400, -110),
  notAvailable: () => scmFault(400, -169),
  unknownFormat: (f: string) => scmFault(400, -126, [f]),
  onlyIssuedRevoked: () => scmFault(400, -102),
  alreadyRevoked: () => scmFault(400, -159, [], "Your certificate"),
  cannotApprove: (state: string) => scmFault(400, -1112, [state]),
  renewError: (state: string) => scmFault(400, -105, [state], "Error was"),
  onlyImportedDelete: () => scmFault(400, -3, ["delete"]),
  sslNotIssued: (state: string) => scmFault(400, -130, [state]),
  orgNotFound: (id: unknown) => scmFault(404, -1023, [String(id)]),
} as const;

/** Throws a fault where an expression is expected (`x ?? raise(faults.notFound())`). */
export function raise(e: Error): never {
  throw e;
}
