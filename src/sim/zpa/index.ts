// The ZPA simulator: start it, seed it, drive its test hooks.
export { startZpaSimulator, DEFAULT_CUSTOMER_ID, DEFAULT_CREDENTIALS, type ZpaSimulator, type ZpaSimulatorOptions, type ZpaState } from "./server.ts";
export { ZPA_RATE_LIMITS, type RateLimitConfig, type ZpaFaultKind } from "./api.ts";
export { SEED_IDS, defaultSeed, type SeedData } from "./seed.ts";
export { PROVISIONING_KEY_FORMAT } from "./key-value.ts";
export { PROFILES, type ZpaProfile, type ProfileFacts } from "./profile.ts";
export type { SimCredential } from "./tokens.ts";
