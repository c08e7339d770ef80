// Simulator framework in one import.
export * from "./server.ts";
export * from "./faults.ts";
export * from "./rate-limit.ts";
export * from "./tls.ts";
export { seededRng, type Rng } from "./rng.ts";
export { compilePath, Router } from "./router.ts";
