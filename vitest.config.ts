import { defineConfig } from "vitest/config";

// One vitest run covers the TypeScript tests of every workspace.
export default defineConfig({
  test: {
    include: [
      "test/**/*.test.ts",
      "chain/test/**/*.test.ts",
      "sdk/test/**/*.test.ts",
      "issuer/test/**/*.test.ts",
      "faucet/test/**/*.test.ts",
      "cli/test/**/*.test.ts",
      "indexer/test/**/*.test.ts",
      "ipfs/test/**/*.test.ts",
      "streamr/test/**/*.test.ts",
      "relay/test/**/*.test.ts",
      "smpc/test/**/*.test.ts",
      "dapp/test/**/*.test.ts",
    ],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    fileParallelism: false, // 2 cores; the chain tests bind ports
  },
});
