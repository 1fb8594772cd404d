// The configuration module (@kraken/sdk/config): defaults, parsing, and errors that name the
// variable and the bad value.
import { describe, expect, it } from "vitest";
import {
  checkConfig, ConfigError, configTable, configValue, DEFAULT_PORTS, DEFAULT_URLS, readConfig, REPO_ROOT, VARIABLES, variablesOf,
} from "@kraken/sdk/config";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const error = (f: () => unknown): ConfigError => {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("no ConfigError thrown");
};

describe("@kraken/sdk/config", () => {
  it("gives the defaults when nothing is set (or a variable is blank)", () => {
    const cfg = readConfig({ KRAKEN_ISSUER_PORT: "  " });
    expect(cfg.KRAKEN_CHAIN_PORT).toBe(8545);
    expect(cfg.KRAKEN_ISSUER_PORT).toBe(DEFAULT_PORTS.issuer);
    expect(cfg.KRAKEN_FAUCET_PORT).toBe(8788);
    expect(cfg.KRAKEN_RELAY_PORTS).toEqual([8791, 8792, 8793]);
    expect(cfg.KRAKEN_FAUCET_URL).toBe(DEFAULT_URLS.faucet);
    expect(cfg.KRAKEN_STREAMR_ENVIRONMENT).toBe("local");
    expect(cfg.KRAKEN_LOG_LEVEL).toBe("info");
    expect(cfg.KRAKEN_REDEPLOY).toBe(false);
    expect(cfg.KRAKEN_DATA_DIR).toBe(join(REPO_ROOT, ".data"));
    expect(cfg.KRAKEN_RPC_URL).toBeUndefined();
    expect(cfg.PRIVATE_KEY).toBeUndefined();
    expect(() => checkConfig(undefined, {})).not.toThrow();
  });

  it("parses set values by type", () => {
    const cfg = readConfig({
      KRAKEN_CHAIN_PORT: "9545",
      KRAKEN_RELAY_PORTS: "1, 2,3",
      KRAKEN_RPC_URL: "https://besu.example.org:8545/",
      KRAKEN_SEED: "yes",
      KRAKEN_REDEPLOY: "0",
      KRAKEN_LOG_LEVEL: "DEBUG",
      KRAKEN_STREAMR_ENTRY_POINTS: '[{"nodeId":"e"}]',
      PRIVATE_KEY: "11".repeat(32),
      BENCH_RUNS: "3",
    });
    expect(cfg.KRAKEN_CHAIN_PORT).toBe(9545);
    expect(cfg.KRAKEN_RELAY_PORTS).toEqual([1, 2, 3]);
    expect(cfg.KRAKEN_RPC_URL).toBe("https://besu.example.org:8545");
    expect(cfg.KRAKEN_SEED).toBe(true);
    expect(cfg.KRAKEN_REDEPLOY).toBe(false);
    expect(cfg.KRAKEN_LOG_LEVEL).toBe("debug");
    expect(cfg.KRAKEN_STREAMR_ENTRY_POINTS).toEqual([{ nodeId: "e" }]);
    expect(cfg.PRIVATE_KEY).toBe(`0x${"11".repeat(32)}`);
    expect(cfg.BENCH_RUNS).toBe(3);
  });

  it("refuses a bad port, naming the variable and the value", () => {
    const e = error(() => configValue("KRAKEN_CHAIN_PORT", { KRAKEN_CHAIN_PORT: "abc" }));
    expect(e.message).toBe('KRAKEN_CHAIN_PORT must be a port number (1–65535), got "abc"');
    expect(e.variable).toBe("KRAKEN_CHAIN_PORT");
    expect(error(() => configValue("KRAKEN_DAPP_PORT", { KRAKEN_DAPP_PORT: "70000" })).message).toBe('KRAKEN_DAPP_PORT must be a port number (1–65535), got "70000"');
    expect(error(() => configValue("KRAKEN_RELAY_PORTS", { KRAKEN_RELAY_PORTS: "8791,x" })).message).toBe('KRAKEN_RELAY_PORTS must be a comma-separated list of port numbers (1–65535), got "8791,x"');
  });

  it("refuses a bad URL", () => {
    expect(error(() => configValue("KRAKEN_RPC_URL", { KRAKEN_RPC_URL: "localhost:8545" })).message)
      .toBe('KRAKEN_RPC_URL must be a URL (http://, https://, ws://, wss://), got "localhost:8545"');
    expect(error(() => configValue("KRAKEN_SUBGRAPH_URL", { KRAKEN_SUBGRAPH_URL: "not a url" })).message)
      .toBe('KRAKEN_SUBGRAPH_URL must be a URL (http://, https://), got "not a url"');
    expect(error(() => configValue("KRAKEN_INDEXER_DATABASE_URL", { KRAKEN_INDEXER_DATABASE_URL: "http://db" })).message)
      .toBe('KRAKEN_INDEXER_DATABASE_URL must be a URL (postgres://, postgresql://), got "http://db"');
  });

  it("refuses a bad boolean, enum, address and JSON", () => {
    expect(error(() => configValue("KRAKEN_SEED", { KRAKEN_SEED: "maybe" })).message).toBe('KRAKEN_SEED must be a boolean (1/0, true/false, yes/no), got "maybe"');
    expect(error(() => configValue("KRAKEN_LOG_LEVEL", { KRAKEN_LOG_LEVEL: "loud" })).message).toBe('KRAKEN_LOG_LEVEL must be one of fatal, error, warn, info, debug, got "loud"');
    expect(error(() => configValue("KRAKEN_ADMIN_ADDRESS", { KRAKEN_ADMIN_ADDRESS: "0x12" })).message).toBe('KRAKEN_ADMIN_ADDRESS must be an address (0x and 40 hex digits), got "0x12"');
    expect(error(() => configValue("KRAKEN_RELAYS", { KRAKEN_RELAYS: "[" })).message).toBe('KRAKEN_RELAYS must be JSON, got "["');
  });

  it("never puts a key in a message", () => {
    const e = error(() => configValue("PRIVATE_KEY", { PRIVATE_KEY: "0xsecretsecret" }));
    expect(e.message).toBe("PRIVATE_KEY must be a private key (32 bytes of hex, 0x optional), got a value of 14 characters (not shown)");
    expect(e.message).not.toContain("secret");
  });

  it("reads lazily; checkConfig reports every bad variable at once", () => {
    const env = { KRAKEN_CHAIN_PORT: "abc", KRAKEN_SEED: "maybe" };
    expect(readConfig(env).KRAKEN_ISSUER_PORT).toBe(8787); // a component only fails on what it reads
    const e = error(() => checkConfig(undefined, env));
    expect(() => checkConfig(variablesOf("issuer"), env)).not.toThrow(); // only what a component reads
    expect(e.problems.map((p) => p.variable)).toEqual(["KRAKEN_SEED", "KRAKEN_CHAIN_PORT"]);
    expect(e.message.split("\n")).toHaveLength(2);
  });

  it("dapp/vite.config.ts (which cannot import the SDK) uses the default dApp port", () => {
    expect(readFileSync(join(REPO_ROOT, "dapp", "vite.config.ts"), "utf8")).toContain(`port: ${DEFAULT_PORTS.dapp} }`);
  });

  it("documents every variable once, with a description and its users", () => {
    const table = configTable().split("\n");
    expect(table).toHaveLength(Object.keys(VARIABLES).length + 2);
    for (const [name, spec] of Object.entries(VARIABLES)) {
      expect(spec.description.length, name).toBeGreaterThan(0);
      expect(spec.usedBy.length, name).toBeGreaterThan(0);
      expect(table.filter((row) => row.startsWith(`| \`${name}\` |`)), name).toHaveLength(1);
    }
  });
});
