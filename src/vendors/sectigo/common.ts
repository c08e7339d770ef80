// What every SCM call shares: the caller's abort signal and the date format we ask for.

/**
 * Without `dateFormat`, SCM answers dates in a different shape per endpoint (MM/dd/yyyy in details,
 * yyyy-MM-dd in the client list) and to the day only; ISO_HMS is unambiguous and to the second.
 */
export const DATES = { dateFormat: "ISO_HMS" } as const;

export interface CallOptions {
  readonly signal?: AbortSignal;
}

export function sig(o: CallOptions | undefined): { signal?: AbortSignal } {
  return o?.signal === undefined ? {} : { signal: o.signal };
}
