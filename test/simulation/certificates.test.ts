// The real ManagedCertificate reconciler under seeded fault schedules (see suite.ts, README.md).
import { simulationSuite } from "./suite.ts";

simulationSuite("simulation: ManagedCertificate under seeded fault schedules", [
  "cloudflare",
  "cloudflare-delete",
  "sectigo",
  "sectigo-delete",
  "cloudflare-replace",
  "sectigo-replace",
  "certificate-forgery",
  "certificate-teardown",
]);
