import type { VendorPorts } from "../../ports/vendors.ts";
import type { Manager } from "../../runtime/manager.ts";

const KEY = "vendor-ports";

/**
 * Controllers never import vendors: the composition root (operator.ts, tests) hands the manager one
 * VendorPorts before registering controllers, and every controller takes it from there.
 */
export function provideVendorPorts(manager: Manager, ports: VendorPorts): void {
  manager.shared(KEY, () => ports);
}

export function vendorPortsOf(manager: Manager): VendorPorts {
  return manager.shared<VendorPorts>(KEY, () => {
    throw new Error("no VendorPorts on this manager: call provideVendorPorts(manager, ports) before registering controllers");
  });
}
