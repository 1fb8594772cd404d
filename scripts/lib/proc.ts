// Small process helpers shared by the task scripts (start, test, bench, compile).
import { spawn, spawnSync, type SpawnOptions } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const hardhatCli = join(root, "node_modules", "hardhat", "dist", "src", "cli.js");

export function log(msg: string): void {
  process.stderr.write(`[kraken] ${msg}\n`);
}

/** Runs a command to completion with inherited output; returns its exit code. */
export function runSync(cmd: string, args: string[], opts: SpawnOptions = {}): number {
  const r = spawnSync(cmd, args, { stdio: "inherit", cwd: root, ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

/** Runs a command and captures its output while echoing it; resolves with code and text. */
export function runCapture(
  cmd: string,
  args: string[],
  opts: SpawnOptions & { echo?: boolean } = {},
): Promise<{ code: number; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"], ...opts });
    let output = "";
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (opts.echo !== false) process.stdout.write(chunk);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.on("error", fail);
    child.on("close", (code) => done({ code: code ?? 1, output }));
  });
}

/** `hardhat <args>` under the current Node. */
export function hardhat(args: string[], opts: SpawnOptions = {}): number {
  return runSync(process.execPath, [hardhatCli, ...args], opts);
}
