// What a fresh simulated SCM account holds: one organization with departments, a profile per
// certificate family with its terms, custom fields, and the domains that have passed DCV.

export interface SeedProfile {
  readonly id: number;
  readonly name: string;
  readonly description: string;
  readonly terms: readonly number[];
  readonly keyTypes: Record<string, readonly string[]>;
  readonly useSecondaryOrgName: boolean;
  /** Device profiles: default term, key usages, extended key usages. */
  readonly term?: number;
  readonly ku?: readonly string[];
  readonly eku?: readonly string[];
  /** False: renew answers -180. */
  readonly allowRenew?: boolean;
}

export interface SeedOrganization {
  readonly id: number;
  readonly name: string;
  readonly departments: readonly { readonly id: number; readonly name: string }[];
  /** Extra fields of organization details (address, contacts…). */
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface SeedCustomField {
  readonly id: number;
  readonly name: string;
  readonly mandatory: boolean;
}

export interface SectigoSeed {
  readonly organizations: readonly SeedOrganization[];
  readonly profiles: { readonly ssl: readonly SeedProfile[]; readonly smime: readonly SeedProfile[]; readonly device: readonly SeedProfile[] };
  readonly customFields: { readonly ssl: readonly SeedCustomField[]; readonly smime: readonly SeedCustomField[]; readonly device: readonly SeedCustomField[] };
  /** A name passes DCV when it equals one of these or is a subdomain of one. */
  readonly validatedDomains: readonly string[];
}

const RSA_KEYS = { RSA: ["2048", "3072", "4096"], EC: ["P-256", "P-384"] } as const;

export const DEFAULT_SEED: SectigoSeed = {
  organizations: [
    {
      id: 8932,
      name: "Certbridge Sim Org",
      departments: [
        { id: 8933, name: "Platform" },
        { id: 8934, name: "Security" },
      ],
      details: {
        contactEmails: "pki@example.com",
        address1: "1 Example Street",
        city: "Example City",
        stateOrProvince: "Example State",
        postalCode: "00000",
        country: "US",
        clientCertificate: { allowKeyRecoveryByMasterAdmins: false, allowKeyRecoveryByOrgAdmins: false, allowKeyRecoveryByDepartmentAdmins: false },
      },
    },
  ],
  profiles: {
    ssl: [
      { id: 5153, name: "OV SSL", description: "Organization validated SSL", terms: [365, 730], keyTypes: RSA_KEYS, useSecondaryOrgName: false },
      {
        id: 5154,
        name: "OV SSL (no renew)",
        description: "A profile that refuses renew",
        terms: [365],
        keyTypes: RSA_KEYS,
        useSecondaryOrgName: false,
        allowRenew: false,
      },
    ],
    smime: [{ id: 5254, name: "Client cert", description: "S/MIME client certificate", terms: [365, 730], keyTypes: RSA_KEYS, useSecondaryOrgName: false }],
    device: [
      {
        id: 5980,
        name: "Device cert",
        description: "Device certificate",
        terms: [365],
        keyTypes: RSA_KEYS,
        useSecondaryOrgName: false,
        term: 365,
        ku: ["Digital Signature", "Key Encipherment"],
        eku: ["1.3.6.1.5.5.7.3.2"],
      },
    ],
  },
  customFields: {
    ssl: [
      { id: 354, name: "custom field", mandatory: true },
      { id: 355, name: "cost center", mandatory: false },
    ],
    smime: [{ id: 357, name: "testName", mandatory: false }],
    device: [{ id: 436, name: "custom field", mandatory: true }],
  },
  validatedDomains: ["ccmqa.com", "example.com", "example.net", "example.org"],
};
