// A bearer token kept in a file that rotates: the in-cluster service account token (the kubelet
// rewrites it; projected tokens last an hour) and a kubeconfig user's `tokenFile`.
import { readFileSync } from "node:fs";
import { KubeConfigError, TOKEN_REREAD_MS } from "./connection.ts";

export interface RereadingFile {
  /** The token, read again when the last read is older than TOKEN_REREAD_MS. */
  read(): string;
  /** Reads the file now (after a 401); a failed read keeps the last good token. */
  reread(): void;
}

/**
 * Read now, then again at most every TOKEN_REREAD_MS. A failed re-read keeps the last good token, as
 * client-go does, and `fallback` (kubeconfig: the inline token beside tokenFile) stands in until a
 * first read succeeds. Errors name the file, never its content.
 */
export function rereadingFile(path: string, now: () => number, fallback?: string): RereadingFile {
  let token: string | undefined;
  let readAt = -Infinity;
  const load = (): string => {
    try {
      const text = readFileSync(path, "utf8").trim();
      if (text.length === 0) throw new KubeConfigError(`token file ${path} is empty`);
      token = text;
      readAt = now();
    } catch (error) {
      if (token !== undefined) return token;
      if (fallback) return fallback;
      if (error instanceof KubeConfigError) throw error;
      throw new KubeConfigError(`token file ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`);
    }
    return token;
  };
  load();
  return {
    read: () => (token !== undefined && now() - readAt < TOKEN_REREAD_MS ? token : load()),
    reread: () => {
      load();
    },
  };
}
