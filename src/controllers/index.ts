import type { OperatorConfig } from "../config/operator.ts";
import type { Manager } from "../runtime/manager.ts";
import { provisioningKeySetup } from "./provisioningkey/index.ts";
import { setupVendorConnectionControllers } from "./vendorconnection/index.ts";
import { managedCertificateSetup } from "./managedcertificate/index.ts";
import { certManagerSetup } from "./certificaterequest/index.ts";

/**
 * The controllers the operator runs, each registering its informers and reconciler on the manager.
 * ManagedCertificate, ProvisioningKey and VendorConnection controllers register here as they land.
 */
export type ControllerSetup = (manager: Manager, config: OperatorConfig) => void;

export const controllerSetups: readonly ControllerSetup[] = [setupVendorConnectionControllers, managedCertificateSetup, provisioningKeySetup, certManagerSetup];

export function registerControllers(manager: Manager, config: OperatorConfig): void {
  for (const setup of controllerSetups) setup(manager, config);
}
