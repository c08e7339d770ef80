// The ProvisioningKey controller (issue 5): ZPA provisioning keys managed declaratively and delivered into Secrets.
export { provisioningKeySetup, setupProvisioningKeyController, DEFAULT_DRIFT_INTERVAL_MS, type ProvisioningKeyControllerOptions } from "./setup.ts";
export { ProvisioningKeyReconciler, CONTROLLER_NAME, type Checkpoint } from "./reconciler.ts";
