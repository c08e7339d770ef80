// @peculiar/x509 resolves its algorithms through tsyringe, which refuses to load without the
// Reflect metadata API. This is the minimal subset it uses (define/get/getOwn/has + the `metadata`
// decorator), installed only when no polyfill is present. Imported before @peculiar/x509.
type Target = object;
type MetaMap = Map<unknown, unknown>;

const store = new WeakMap<Target, Map<PropertyKey | undefined, MetaMap>>();

function own(target: Target, property: PropertyKey | undefined, create: boolean): MetaMap | undefined {
  let byProp = store.get(target);
  if (byProp === undefined) {
    if (!create) return undefined;
    byProp = new Map();
    store.set(target, byProp);
  }
  let meta = byProp.get(property);
  if (meta === undefined && create) {
    meta = new Map();
    byProp.set(property, meta);
  }
  return meta;
}

const api = {
  defineMetadata(key: unknown, value: unknown, target: Target, property?: PropertyKey): void {
    own(target, property, true)!.set(key, value);
  },
  getOwnMetadata(key: unknown, target: Target, property?: PropertyKey): unknown {
    return own(target, property, false)?.get(key);
  },
  hasOwnMetadata(key: unknown, target: Target, property?: PropertyKey): boolean {
    return own(target, property, false)?.has(key) ?? false;
  },
  getMetadata(key: unknown, target: Target, property?: PropertyKey): unknown {
    for (let t: Target | null = target; t !== null; t = Object.getPrototypeOf(t) as Target | null) {
      const m = own(t, property, false);
      if (m?.has(key)) return m.get(key);
    }
    return undefined;
  },
  hasMetadata(key: unknown, target: Target, property?: PropertyKey): boolean {
    return api.getMetadata(key, target, property) !== undefined;
  },
  metadata(key: unknown, value: unknown) {
    return (target: Target, property?: PropertyKey): void => api.defineMetadata(key, value, target, property);
  },
};

const R = Reflect as unknown as Record<string, unknown>;
if (typeof R["getMetadata"] !== "function") {
  for (const [name, fn] of Object.entries(api)) R[name] = fn;
}
