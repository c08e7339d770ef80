export * from "./vendor-error.ts";
export * from "./deep-readonly.ts";
export * from "./connection.ts";
export * from "./certificate-authority.ts";
export * from "./provisioning-keys.ts";
export * from "./vendors.ts";
export * from "./application-segments.ts";
