import type { Family } from "./common.ts";
import { adoptionFamily } from "./adoption.ts";
import { certificateFamilies } from "./certificates.ts";
import { foreignSecretFamily } from "./foreign-secrets.ts";
import { keyFamilies } from "./provisioning-keys.ts";

export type { Family } from "./common.ts";

const all = [...certificateFamilies, ...keyFamilies, adoptionFamily, foreignSecretFamily];

/** Every family, by name. */
export const FAMILIES: ReadonlyMap<string, Family> = new Map(all.map((f) => [f.name, f]));

export const SEED_STRIDE = 1_000_000;

/** The family a seed belongs to (seeds are family.id × SEED_STRIDE + n). */
export function familyOfSeed(seed: number): Family | undefined {
  const id = Math.floor(seed / SEED_STRIDE);
  return all.find((f) => f.id === id);
}

export function seedOf(family: Family, n: number): number {
  return family.id * SEED_STRIDE + n;
}
