import type { OperatorConfig } from "../config/operator.ts";
import type { Manager } from "../runtime/manager.ts";
import { setupVendorConnectionControllers } from "./vendorconnection/index.ts";

/**
 * The controllers the operator runs, each registering its informers and reconciler on the manager.
 * ManagedCertificate, ProvisioningKey and VendorConnection controllers register here as they land.
 */
export type ControllerSetup = (manager: Manager, config: OperatorConfig) => void;

export const controllerSetups: readonly ControllerSetup[] = [
  setupVendorConnectionControllers,
];

export function registerControllers(manager: Manager, config: OperatorConfig): void {
  for (const setup of controllerSetups) setup(manager, config);
}
