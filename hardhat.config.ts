// Hardhat 3 configuration: compiles contracts/src with solc from the npm `solc` package (never
// downloaded) and runs the Solidity tests in contracts/test.
import { createRequire } from "node:module";
import type { HardhatUserConfig } from "hardhat/config";
import hardhatViem from "@nomicfoundation/hardhat-viem";
import hardhatNetworkHelpers from "@nomicfoundation/hardhat-network-helpers";
import { configValue, DEFAULT_URLS } from "./sdk/src/config/index.ts";

const require = createRequire(import.meta.url);
const solcVersion: string = require("solc/package.json").version;

const config: HardhatUserConfig = {
  plugins: [hardhatViem, hardhatNetworkHelpers],
  paths: {
    sources: "contracts/src",
    tests: { solidity: "contracts/test" },
    artifacts: "artifacts",
    cache: "cache",
  },
  solidity: {
    compilers: [
      {
        version: solcVersion,
        path: require.resolve("solc/soljson.js"),
        settings: {
          optimizer: { enabled: true, runs: 10_000 },
          viaIR: true,
          evmVersion: "cancun",
        },
      },
    ],
  },
  test: {
    solidity: {
      fuzz: { runs: 256, seed: "0x4b52414b454e" },
      // CI's profile by default (64 × 32 calls per invariant); `npm run reliability` goes deeper.
      invariant: { runs: configValue("KRAKEN_INVARIANT_RUNS"), depth: configValue("KRAKEN_INVARIANT_DEPTH"), failOnRevert: false },
    },
  },
  networks: {
    localhost: {
      type: "http",
      chainType: "l1",
      url: configValue("KRAKEN_RPC_URL") ?? DEFAULT_URLS.rpc,
    },
  },
};

export default config;
