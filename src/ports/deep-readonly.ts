/**
 * What crosses a port is read, never written: a vendor adapter cannot change a spec a controller
 * handed it (nested objects and arrays included). Lets callers pass zod output or `as const` data.
 */
export type DeepReadonly<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends readonly (infer E)[]
    ? readonly DeepReadonly<E>[]
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;
