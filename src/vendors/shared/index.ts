// The shared vendor layer in one import.
export { abortReason, systemClock, type Clock } from "./clock.ts";
export { createDispatcher, type DispatcherOptions } from "./dispatcher.ts";
export {
  isRetryable,
  isTransportRetryable,
  isVendorError,
  VENDOR_ERROR_KINDS,
  VendorError,
  type VendorErrorKind,
  type VendorErrorOptions,
  type VendorName,
} from "./errors.ts";
export {
  VendorHttp,
  type AttemptEvent,
  type Classify,
  type ClassifyInput,
  type HttpMethod,
  type RawResponse,
  type VendorHttpOptions,
  type VendorRequest,
  type VendorRequestBase,
  type VendorResponse,
} from "./http.ts";
export { ManualClock } from "./manual-clock.ts";
export {
  credentialKey,
  RateLimiter,
  RateLimiterRegistry,
  scaledRule,
  type BucketStats,
  type RateLimiterOptions,
  type RateLimiterStats,
  type RateLimitRule,
} from "./rate-limiter.ts";
export { parseRetryAfterMs } from "./retry-after.ts";
export * from "./wire.ts";
