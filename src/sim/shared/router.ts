// A tiny router: METHOD + path pattern with :params, first match wins.

export interface Match<R> {
  readonly route: R;
  readonly params: Record<string, string>;
}

export interface RoutePattern {
  readonly method: string;
  readonly path: string;
}

export function compilePath(pattern: string): (path: string) => Record<string, string> | undefined {
  const parts = pattern.split("/").filter((p) => p !== "");
  return (path) => {
    const segs = path.split("/").filter((p) => p !== "");
    if (segs.length !== parts.length) return undefined;
    const params: Record<string, string> = {};
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      let s: string;
      try {
        s = decodeURIComponent(segs[i]!);
      } catch {
        return undefined;
      }
      if (p.startsWith(":")) params[p.slice(1)] = s;
      else if (p !== s) return undefined;
    }
    return params;
  };
}

export class Router<R extends RoutePattern> {
  readonly #routes: Array<{ route: R; match: (path: string) => Record<string, string> | undefined }>;

  constructor(routes: readonly R[]) {
    this.#routes = routes.map((route) => ({ route, match: compilePath(route.path) }));
  }

  /** The matching route, or which methods the path allows (for 404 vs 405 decisions). */
  find(method: string, path: string): Match<R> | { readonly allowed: string[] } {
    const allowed: string[] = [];
    for (const r of this.#routes) {
      const params = r.match(path);
      if (params === undefined) continue;
      if (r.route.method === method) return { route: r.route, params };
      allowed.push(r.route.method);
    }
    return { allowed };
  }
}
