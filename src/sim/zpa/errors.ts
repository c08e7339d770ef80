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
  invalid: (reason: string, field?: string) =>
    new ZpaSimError(400, { id: "invalid.input", reason, ...(field !== undefined ? { params: [field] } : {}) }),
  /** (inf) what ZPA answers for an id whose type does not match the path. */
  invalidAssociation: (reason: string, field: string) =>
    new ZpaSimError(400, { id: "invalid.association", reason, params: [field] }),
} as const;
