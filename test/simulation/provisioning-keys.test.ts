// The real ProvisioningKey reconciler under seeded fault schedules (see suite.ts, README.md).
import { simulationSuite } from "./suite.ts";

simulationSuite("simulation: ProvisioningKey under seeded fault schedules", [
  "zpa",
  "zpa-delete",
  "zpa-teardown",
  "zpa-tenancy",
  "zpa-adoption",
  "foreign-secrets",
]);
