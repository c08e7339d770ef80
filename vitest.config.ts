import { defineConfig } from "vitest/config";

// Two projects: fast unit tests beside the code, and integration tests that share one real
// kube-apiserver + etcd started once by the global setup (test/harness/global-setup.ts).
export default defineConfig({
  test: {
    reporters: ["default", "./test/summary-reporter.ts"],
    projects: [
      {
        test: {
          name: "unit",
          include: ["src/**/*.test.ts", "test/harness/**/*.test.ts", "test/simulation/**/*.test.ts", "test/bench/**/*.test.ts"],
          environment: "node",
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          environment: "node",
          globalSetup: ["./test/harness/global-setup.ts"],
          // The machine has two cores and one shared API server: run files one at a time.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
