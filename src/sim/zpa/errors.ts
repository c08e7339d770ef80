// ZPA error bodies as the public response-code page shows them: { id, reason, params?, exception? }.
// Ids that no source documents are marked (inf) where they are built.

export type ZpaErrorBody = {
  readonly id: string;
  readonly reason: string;
  readonly params?: readonly string[];
  readonly exception?: string;
};

/** A failure the simulator answers with; routes turn it into a status + JSON body. */
export class ZpaSimError extends Error {
  readonly status: number;
  readonly body: ZpaErrorBody;
  readonly headers: Readonly<Record<string, string>>;
  constructor(status: number, body: ZpaErrorBody, headers: Record<string, string> = {}) {
    super(`${status} ${body.id}`);
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

export const zpaErrors = {
  notFound: (id: string, status: 400 | 404 = 400) =>
    new ZpaSimError(status, {
      id: "resource.not.found",
      reason: `No resource exists with the given id/name :${id}`,
      params: [id],
    }),
  accessDenied: () => new ZpaSimError(401, { id: "access.denied", reason: "Access denied" }),
  tooManyRequests: (retryAfterSeconds: number) =>
    new ZpaSimError(
      429,
      {
        exception: "invalid.toomanyrequests",
        id: "invalid.toomanyrequests",
        reason: "Exceeded the number of requests allowed",
      },
      { "retry-after": `${retryAfterSeconds}s` },
    ),
  concurrentAccess: () =>
    new ZpaSimError(409, {
      params: ["com.zscaler.zpn.model.PolicySet"],
      id: "api.concurrent.access.error",
      reason: "Unable to modify the resource due to concurrent change requests. Try again",
    }),
  serverRetryable: (retryAfterSeconds = 10) =>
    new ZpaSimError(
      503,
      { id: "retryable.server.error", reason: "An error occurred. Refer to the Retry-After header, and then try again." },
      { "retry-after": `${retryAfterSeconds}s` },
    ),
  /** (inf) no source shows ZPA's validation body; the shape follows the documented error bodies. */
  invalid: (reason: string, field?: string) => new ZpaSimError(400, { id: "invalid.input", reason, ...(field !== undefined ? { params: [field] } : {}) }),
  /**
   * A search ZPA cannot parse. Recorded bodies (zscaler/zscaler-sdk-go, zpa/services/trustednetwork,
   * GetByName comment): `Invalid operand:- in Filtering criteria.` with params ["-"], and for
   * `search=Corp++Trusted++Networks` the same with params [""]: the token after the field is checked as
   * the operator.
   */
  invalidOperand: (operand: string) =>
    new ZpaSimError(400, { params: [operand], id: "filtering.input.invalid.operand", reason: `Invalid operand:${operand} in Filtering criteria.` }),
  /**
   * Deleting an object another one still references. The help portal's application-segment page
   * (nyvqwd22f5-gif/zscaler, zpa/zpa__configuring-browser-access-application-segments-using-api.md):
   * "An object that is referenced in another object cannot be deleted. Error code 400", body
   * {"params":["Application","<name>"],"id":"resource.referenced","reason":"Resource is being referenced in Application : <name>."}.
   */
  referenced: (referrerKind: string, referrerName: string) =>
    new ZpaSimError(400, {
      params: [referrerKind, referrerName],
      id: "resource.referenced",
      reason: `Resource is being referenced in ${referrerKind} : ${referrerName}.`,
    }),
  /** (inf) what ZPA answers for an id whose type does not match the path. */
  invalidAssociation: (reason: string, field: string) => new ZpaSimError(400, { id: "invalid.association", reason, params: [field] }),
} as const;
