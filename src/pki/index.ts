// PKI in one import: keys, CSRs, PEM, inspection, formats, and the test CA.
export * from "./keys.ts";
export * from "./csr.ts";
export * from "./pem.ts";
export * from "./inspect.ts";
export * from "./formats.ts";
export { createTestCa, type CaCert, type LeafUsage, type SignedLeaf, type SignOptions, type TestCa, type TestCaOptions } from "./test-ca.ts";
