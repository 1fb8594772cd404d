// The `kraken` command line: one file per command in ./commands, registered here.
import { ConfigError } from "@kraken/sdk/config";
import { CliError, EXIT } from "./errors.ts";
import { agreements } from "./commands/agreements.ts";
import { anonymise } from "./commands/anonymise.ts";
import { buy } from "./commands/buy.ts";
import { faucet } from "./commands/faucet.ts";
import { fetchCommand } from "./commands/fetch.ts";
import { key } from "./commands/key.ts";
import { login } from "./commands/login.ts";
import { product } from "./commands/product.ts";
import { publish } from "./commands/publish.ts";
import { query } from "./commands/query.ts";
import { register } from "./commands/register.ts";
import { search } from "./commands/search.ts";
import { status } from "./commands/status.ts";
import { subscribe } from "./commands/subscribe.ts";
import { union } from "./commands/union.ts";

export interface Output {
  /** Progress lines (stderr; silent with --json). */
  progress(line: string): void;
  /** The command's result: JSON with --json, else the human rendering. */
  result<T>(value: T, human: (value: T) => string): void;
  /** One item of a live feed (stdout): a JSON line with --json, else the human line. */
  item<T>(value: T, human: (value: T) => string): void;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[], out: Output): Promise<void>;
}

const COMMANDS: Command[] = [register, login, faucet, search, product, buy, agreements, anonymise, publish, fetchCommand, query, key, subscribe, union, status];

function help(): string {
  return ["usage: kraken <command> [options]   (kraken <command> --help for its options)", "", ...COMMANDS.map((c) => `  ${c.name.padEnd(11)} ${c.summary}`)].join("\n");
}

export async function main(argv: string[], io = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [name, ...rest] = argv;
  const json = rest.includes("--json");
  const out: Output = {
    progress: (line) => void (json || io.stderr.write(`${line}\n`)),
    result: (value, human) => void io.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human(value)}\n`),
    item: (value, human) => void io.stdout.write(json ? `${JSON.stringify(value)}\n` : `${human(value)}\n`),
  };
  if (!name || name === "--help" || name === "-h" || name === "help") {
    io.stdout.write(`${help()}\n`);
    return name ? EXIT.ok : EXIT.usage;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`kraken: unknown command "${name}"\n${help()}\n`);
    return EXIT.usage;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    io.stdout.write(`${command.usage}\n`);
    return EXIT.ok;
  }
  try {
    await command.run(rest, out);
    return EXIT.ok;
  } catch (err) {
    const e =
      err instanceof CliError ? err
      : err instanceof ConfigError ? new CliError(EXIT.config, err.message, "config")
      : (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") ? new CliError(EXIT.usage, (err as Error).message, "usage")
      : new CliError(EXIT.unexpected, (err as Error).message ?? String(err), "unexpected");
    if (json) io.stdout.write(`${JSON.stringify({ error: e.code, message: e.message, exitCode: e.exitCode })}\n`);
    else io.stderr.write(`kraken ${name}: ${e.message}${e.exitCode === EXIT.usage ? `\n\n${command.usage}` : ""}\n`);
    return e.exitCode;
  }
}
