import { readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createCsr } from "../pki/csr.ts";
import { generateKey } from "../pki/keys.ts";
import { CloudflareClient } from "../vendors/cloudflare/client.ts";
import { createDispatcher } from "../vendors/shared/dispatcher.ts";
import { startSimulators } from "./index.ts";

describe("startSimulators", () => {
  it("serves every available simulator over HTTPS trusted through the written CA file", async () => {
    const sims = await startSimulators({ https: true });
    try {
      expect(sims.caFile).toBeDefined();
      const caPem = await readFile(sims.caFile!, "utf8");
      expect(caPem).toBe(sims.caPem);
      const dispatcher = createDispatcher({ caBundlePem: caPem });
      const cf = new CloudflareClient({
        zoneId: String(sims.credentials.cloudflare!["zoneId"]),
        auth: { kind: "apiToken", token: String(sims.credentials.cloudflare!["apiToken"]) },
        baseUrl: sims.urls.cloudflare!,
        dispatcher,
      });
      const { privateKey } = await generateKey({ algorithm: "ECDSA", size: 256 });
      const cert = await cf.create({ csr: await createCsr({ privateKey, subject: { commonName: "dev" } }), validityDays: 7 });
      expect(cert.status).toBe("active");
      expect(sims.urls.cloudflare).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/client\/v4$/);
      // ZPA and Sectigo answer their admin state over the same CA, when their modules are present.
      for (const vendor of ["zpa", "sectigo"] as const) {
        if (sims.unavailable[vendor] !== undefined) continue;
        const { request } = await import("undici");
        const res = await request(`${sims.origins[vendor]!}/__sim/state`, { dispatcher });
        expect(res.statusCode, vendor).toBe(200);
        await res.body.dump();
        expect(sims.credentials[vendor], vendor).toBeDefined();
      }
    } finally {
      await sims.close();
    }
    expect(existsSync(sims.caFile!)).toBe(false); // temp CA file removed on close
  });

  it("plain HTTP on fixed host; no CA file", async () => {
    const sims = await startSimulators({ https: false, host: "127.0.0.1" });
    try {
      expect(sims.caFile).toBeUndefined();
      expect(sims.urls.cloudflare).toMatch(/^http:\/\//);
      const res = await fetch(`${sims.origins.cloudflare!}/__sim/state`);
      expect(res.status).toBe(200);
    } finally {
      await sims.close();
    }
  });
});
