// Which Chromium the browser tests (and the dApp benchmark) drive. A Chromium the user chose
// (KRAKEN_CHROMIUM) or one installed on the system wins when it starts; otherwise the project
// uses the headless Chromium shipped inside the npm package @sparticuz/chromium, unpacked once
// into node_modules/.cache: no root, no apt, no download outside the npm registry.
import { accessSync, constants, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type LaunchOptions } from "playwright-core";

const ROOT = resolve(import.meta.dirname, "..", "..", "..");
const SYSTEM_PATHS = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome-stable", "/usr/bin/google-chrome", "/snap/bin/chromium"];

export interface LaunchedChromium {
  browser: Browser;
  /** Where the browser came from, e.g. "system Chromium at /usr/bin/chromium". */
  source: string;
}

export class ChromiumUnavailableError extends Error {
  constructor(tried: string[]) {
    super(
      `no Chromium could be started for the browser tests. Tried:\n  ${tried.join("\n  ")}\n` +
        `Point KRAKEN_CHROMIUM at a Chromium binary, or reinstall the dependencies (npm ci) so that @sparticuz/chromium is present.`,
    );
    this.name = "ChromiumUnavailableError";
  }
}

/** Binaries worth trying before the npm one: KRAKEN_CHROMIUM, then the usual system places and PATH. */
function candidates(): string[] {
  const onPath = (process.env.PATH ?? "").split(delimiter).flatMap((d) => ["chromium", "chromium-browser", "google-chrome"].map((b) => join(d, b)));
  const all = [process.env.KRAKEN_CHROMIUM, ...SYSTEM_PATHS, ...onPath].filter((p): p is string => Boolean(p));
  return [...new Set(all)].filter((p) => existsSync(p) && statSync(p).isFile());
}

let announced = false;
function announce(source: string) {
  if (announced) return;
  announced = true;
  process.stderr.write(`[browser] driving ${source}\n`);
}

/** Starts a headless Chromium with `args`, preferring the user's or the system's, then the npm one. */
export async function launchChromium(args: string[]): Promise<LaunchedChromium> {
  const tried: string[] = [];
  for (const path of candidates()) {
    try {
      const browser = await chromium.launch({ executablePath: path, headless: true, args });
      const source = `${path === process.env.KRAKEN_CHROMIUM ? "KRAKEN_CHROMIUM" : "system Chromium"} at ${path} (${browser.version()})`;
      announce(source);
      return { browser, source };
    } catch (err) {
      tried.push(`${path}: ${firstLine(err)}`);
    }
  }
  try {
    const { executablePath, version, libDir } = await npmChromium();
    const options: LaunchOptions = { executablePath, headless: true, args: [...args, "--no-zygote"] };
    let browser: Browser;
    try {
      browser = await chromium.launch(options);
    } catch (err) {
      // A machine without Chromium's shared libraries (libnss3 …): use the ones the package ships.
      tried.push(`${executablePath}: ${firstLine(err)}`);
      const lib = await libDir();
      browser = await chromium.launch({ ...options, env: { ...process.env, LD_LIBRARY_PATH: [lib, process.env.LD_LIBRARY_PATH].filter(Boolean).join(":") } });
    }
    const source = `Chromium ${browser.version()} from the npm package @sparticuz/chromium ${version} (${executablePath})${tried.length ? `; not usable: ${tried.join("; ")}` : ""}`;
    announce(source);
    return { browser, source };
  } catch (err) {
    tried.push(`@sparticuz/chromium: ${firstLine(err)}`);
    throw new ChromiumUnavailableError(tried);
  }
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split("\n").find((l) => l.trim()) ?? "failed";
}

/**
 * Unpacks the package's brotli-packed Chromium (binary, fonts, SwiftShader) once into a cache
 * folder. The package unpacks into os.tmpdir() and trusts whatever is there, which races when
 * several test files start at once; so unpack into a private folder and rename it into place.
 */
async function npmChromium(): Promise<{ executablePath: string; version: string; libDir: () => Promise<string> }> {
  // The package exports only its entry (build/index.js): its folder is two levels up.
  const pkgDir = join(fileURLToPath(import.meta.resolve("@sparticuz/chromium")), "..", "..");
  const version: string = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")).version;
  const bin = join(pkgDir, "bin");
  const dir = join(ROOT, "node_modules", ".cache", `kraken-chromium-${version}`);
  const { inflate } = await import("@sparticuz/chromium");

  /** Inflates `archives` of the package into `target`, once, atomically. */
  const unpackOnce = async (target: string, archives: string[]) => {
    if (existsSync(join(target, ".complete"))) return;
    const staging = `${target}.${process.pid}.tmp`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    const tmpdir = process.env.TMPDIR;
    process.env.TMPDIR = staging; // inflate() writes into os.tmpdir()
    try {
      await Promise.all(archives.map((f) => inflate(join(bin, f))));
    } finally {
      if (tmpdir === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = tmpdir;
    }
    writeFileSync(join(staging, ".complete"), version);
    try {
      renameSync(staging, target);
    } catch {
      rmSync(staging, { recursive: true, force: true }); // another process got there first
    }
  };

  await unpackOnce(dir, ["chromium.br", "fonts.tar.br", "swiftshader.tar.br"]);
  const executablePath = join(dir, "chromium");
  accessSync(executablePath, constants.X_OK); // throws if missing or not executable
  return {
    executablePath,
    version,
    async libDir() {
      await unpackOnce(join(dir, "al2023"), ["al2023.tar.br"]);
      return join(dir, "al2023", "al2023", "lib");
    },
  };
}
