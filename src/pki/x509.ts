// One place that wires @peculiar/x509 to the platform WebCrypto; every pki module imports x509 from here.
import "./reflect-metadata.ts";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(globalThis.crypto);

export { x509 };
