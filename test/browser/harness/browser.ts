// Headless Chromium driven by playwright-core (`npx playwright install` cannot work offline):
// the user's or the system's, else the one from the npm registry (chromium.ts). Every page records the requests it makes, so tests can assert the dApp never talks
// to a host outside the configured loopback endpoints, and saves screenshots as test artefacts.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { launchChromium } from "./chromium.ts";

export const SCREENSHOTS = join(import.meta.dirname, "..", "..", "..", "test-results", "screenshots");

// From the toolchain notes: no sandbox (root in CI), no GPU, and nothing that phones home.
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

export interface RunningBrowser {
  browser: Browser;
  /** Which Chromium runs, e.g. "system Chromium at /usr/bin/chromium (156…)". */
  source: string;
  /** A fresh context (own storage) with request recording; `allowed` lists the endpoint origins. */
  newPage(allowed: string[], viewport?: { width: number; height: number }): Promise<RecordedPage>;
  close(): Promise<void>;
}

export interface RecordedPage {
  page: Page;
  context: BrowserContext;
  /** Every URL the page requested (documents, scripts, XHR/fetch, WebSocket, images). */
  requests: string[];
  /** Requests to anything but the allowed origins (data:/blob: URLs are local and allowed). */
  outside(): string[];
  screenshot(name: string): Promise<string>;
}

export async function launchBrowser(): Promise<RunningBrowser> {
  // launch() gives every run a fresh temporary profile (user-data-dir) and deletes it on close.
  // No browser at all is a failure with the fix in the message, never a skip.
  const { browser, source } = await launchChromium(FLAGS);
  return {
    browser,
    source,
    async newPage(allowed, viewport = { width: 1280, height: 900 }) {
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      const requests: string[] = [];
      page.on("request", (r) => requests.push(r.url()));
      page.on("websocket", (ws) => requests.push(ws.url()));
      const allowedOrigins = new Set(allowed.map((u) => originOf(u)));
      return {
        page,
        context,
        requests,
        outside: () =>
          requests.filter((u) => !u.startsWith("data:") && !u.startsWith("blob:") && !allowedOrigins.has(originOf(u))),
        async screenshot(name) {
          mkdirSync(SCREENSHOTS, { recursive: true });
          const file = join(SCREENSHOTS, `${name}.png`);
          await page.screenshot({ path: file, fullPage: true });
          return file;
        },
      };
    },
    async close() {
      await browser.close();
    },
  };
}

/** scheme://host:port, with ws(s) mapped to http(s) so one entry covers both. */
export function originOf(url: string): string {
  const u = new URL(url);
  const scheme = u.protocol === "ws:" ? "http:" : u.protocol === "wss:" ? "https:" : u.protocol;
  const port = u.port || (scheme === "https:" ? "443" : "80");
  return `${scheme}//${u.hostname}:${port}`;
}
