// Test helper: the VendorError a vendor call ends in (anything else, or success, fails the test).
import { isVendorError, type VendorError } from "../shared/errors.ts";

export async function vendorFailure(p: Promise<unknown>): Promise<VendorError> {
  try {
    await p;
  } catch (e) {
    if (isVendorError(e)) return e;
    throw e;
  }
  throw new Error("expected a VendorError");
}
