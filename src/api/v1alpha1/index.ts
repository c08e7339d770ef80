export * from "./group.ts";
export * from "./labels.ts";
export * from "./conditions.ts";
export * from "./common.ts";
export * from "./managedcertificate.ts";
export * from "./provisioningkey.ts";
export * from "./vendorconnection.ts";
export * from "./parse.ts";
