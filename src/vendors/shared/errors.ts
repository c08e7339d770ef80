// VendorError lives with the ports (controllers read it; vendors throw it); re-exported for vendor code.
export * from "../../ports/vendor-error.ts";
