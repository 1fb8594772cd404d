// The production layout (deploy/systemd): one unit instance per service, each configured by an
// environment file. Every example names an entry point that exists and options that parse, and
// a service started from such a file alone (no npm start) serves, stops cleanly, and refuses a
// broken configuration with exit code 2 (which systemd, like npm start, does not retry).
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../chain/src/index.ts";

const root = join(import.meta.dirname, "..");
const envDir = join(root, "deploy", "systemd", "env");
const CONFIG_VARIABLES = ["KRAKEN_SERVICE_CONFIG", "KRAKEN_RELAY_CONFIG", "KRAKEN_SMPC_CONFIG"];

/** systemd's EnvironmentFile syntax, as far as the examples use it: KEY=value or KEY='value', # comments. */
function readEnvFile(file: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) env[m[1]] = m[2].startsWith("'") && m[2].endsWith("'") ? m[2].slice(1, -1) : m[2];
  }
  return env;
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("deploy/systemd", () => {
  const examples = readdirSync(envDir).filter((f) => f.endsWith(".env") && f !== "common.env");

  it("every example names an existing entry point and options that parse as a JSON object", () => {
    expect(examples.length).toBeGreaterThanOrEqual(7);
    for (const f of examples) {
      const env = readEnvFile(join(envDir, f));
      expect(existsSync(join(root, env.KRAKEN_ENTRY ?? "")), `${f}: ${env.KRAKEN_ENTRY}`).toBe(true);
      const variable = CONFIG_VARIABLES.find((v) => v in env);
      expect(variable, f).toBeDefined();
      expect(typeof JSON.parse(env[variable!]), f).toBe("object");
    }
  });

  it("every long-running service npm start supervises has an example, except the demo's own devices and faucet", () => {
    const entries = [...readFileSync(join(root, "scripts", "start.ts"), "utf8").matchAll(/entry: "([^"]+)"/g)].map((m) => m[1]);
    const covered = new Set(examples.map((f) => readEnvFile(join(envDir, f)).KRAKEN_ENTRY));
    const demoOnly = ["faucet/src/main.ts", "relay/src/publisher-main.ts", "relay/src/union-devices-main.ts"];
    expect(entries.length).toBeGreaterThanOrEqual(9);
    for (const e of entries) if (!demoOnly.includes(e)) expect(covered, e).toContain(e);
  });

  it("a service runs alone from its environment file, serves, and stops cleanly on SIGTERM", async () => {
    const env = readEnvFile(join(envDir, "ipfs.env"));
    const dir = mkdtempSync(join(tmpdir(), "kraken-unit-"));
    dirs.push(dir);
    const options = { ...JSON.parse(env.KRAKEN_SERVICE_CONFIG), host: "127.0.0.1", apiPort: await freePort(), gatewayPort: await freePort(), dataDir: dir };
    const p = spawn(process.execPath, ["--import", "tsx", env.KRAKEN_ENTRY], {
      cwd: root, env: { ...process.env, KRAKEN_SERVICE_CONFIG: JSON.stringify(options), KRAKEN_LOG_FORMAT: "json" }, stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((r) => p.once("exit", (code) => r(code)));
    const ready = await new Promise<{ apiUrl: string; gatewayUrl: string }>((resolve, reject) => {
      createInterface({ input: p.stdout! }).on("line", (l) => { try { const m = JSON.parse(l); if (m.ready) resolve(m); } catch { /* not ours */ } });
      void exited.then((c) => reject(new Error(`exited with ${c} before ready`)));
    });
    expect(ready.apiUrl).toBe(`http://127.0.0.1:${options.apiPort}`);
    expect((await fetch(`${ready.apiUrl}/health`)).status).toBe(200);
    p.kill("SIGTERM");
    expect(await exited).toBe(0);
  }, 60_000);

  it("a broken configuration exits with code 2 and says which variable, without starting", async () => {
    for (const [entry, variable, value] of [
      ["indexer/src/main.ts", "KRAKEN_SERVICE_CONFIG", "{not json"],
      ["relay/src/relay-main.ts", "KRAKEN_RELAY_CONFIG", "[1,"],
      ["dapp/server/main.ts", "KRAKEN_SERVICE_CONFIG", "{\"port\":5173}"],
    ] as const) {
      const p = spawn(process.execPath, ["--import", "tsx", entry], { cwd: root, env: { ...process.env, [variable]: value }, stdio: ["ignore", "pipe", "pipe"] });
      let err = "";
      p.stderr!.on("data", (b) => (err += String(b)));
      const code = await new Promise<number | null>((r) => p.once("exit", (c) => r(c)));
      expect(code, `${entry}: ${err}`).toBe(2);
      expect(err, entry).toMatch(/KRAKEN_(SERVICE|RELAY)_CONFIG/);
    }
  }, 60_000);
});
