// The simulated Sectigo Certificate Manager.
export {
  startSectigoSimulator,
  SIM_DEFAULT_CREDENTIALS,
  SIM_DEFAULT_CUSTOMER_URI,
  type SectigoSimulator,
  type SectigoSimulatorOptions,
  type SectigoSimState,
} from "./server.ts";
export { DEFAULT_SEED, type SectigoSeed } from "./seed.ts";
export type { SeedOrderInput } from "./admin.ts";
export type { IssuanceSettings, Family } from "./model.ts";
export { SECTIGO_ENROLL_PATTERN, enrollProcessingDelay, enrollResponseLost } from "./order-faults.ts";
