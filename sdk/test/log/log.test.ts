// The services' logger: JSON lines or readable lines, the four levels (and warn) with debug only
// when asked, a component on every entry, secrets censored by field name and scrubbed from
// messages, and fatal entries e-mailed through a real SMTP server (a local sink), capped.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SMTPServer } from "smtp-server";
import { ALERTS_PER_HOUR, createLogger, REDACTED, type LogLevel } from "@kraken/sdk/config";

const CHILD = fileURLToPath(new URL("./child.ts", import.meta.url));
const TOKEN = "seeded-admin-token-4f1c9a7e"; // as KRAKEN_ISSUER_ADMIN_TOKEN
const KEY = `0x${"7c".repeat(32)}`; // as KRAKEN_DEPLOYER_KEY
const SMTP_PASSWORD = "s3cret-mail-pass";

type Entry = [component: string, level: LogLevel, msg: string, fields?: Record<string, unknown>];

/** Runs the child with `entries` and the environment given; returns its stderr lines. */
function run(entries: Entry[], env: Record<string, string> = {}): Promise<{ code: number | null; lines: string[] }> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("KRAKEN_") && k !== "NODE_ENV"));
  const p = spawn(process.execPath, ["--import", "tsx", CHILD, JSON.stringify(entries)], {
    env: { ...base, KRAKEN_ISSUER_ADMIN_TOKEN: TOKEN, KRAKEN_DEPLOYER_KEY: KEY, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  p.stderr.on("data", (b) => (err += String(b)));
  p.stdout.on("data", (b) => (err += String(b)));
  return new Promise((r) => p.on("exit", (code) => r({ code, lines: err.split("\n").filter(Boolean) })));
}

const LEAKS = [
  ["issuer", "info", `admin request with token ${TOKEN}`],
  ["relay", "warn", `deployer key ${KEY} (and ${KEY.slice(2).toUpperCase()})`],
  ["issuer", "error", "upstream refused", { token: TOKEN, request: { authorization: `Bearer ${TOKEN}`, path: "/admin" }, signature: "0xabc" }],
  ["faucet", "info", "proxy said: Authorization: Bearer abc.def.ghi"],
] as Entry[];

describe("JSON lines (KRAKEN_LOG_FORMAT=json, the default under NODE_ENV=production)", () => {
  it("one JSON object per entry: time, level, component, msg; debug only when asked", async () => {
    const entries: Entry[] = [["indexer", "info", "caught up at block 12"], ["indexer", "debug", "fetched 3 logs"], ["relay", "fatal", "store unreadable"]];
    const prod = await run(entries, { NODE_ENV: "production" });
    const parsed = prod.lines.map((l) => JSON.parse(l));
    expect(parsed.map((e) => [e.level, e.component, e.msg])).toEqual([["info", "indexer", "caught up at block 12"], ["fatal", "relay", "store unreadable"]]);
    expect(Date.parse(parsed[0].time)).toBeGreaterThan(Date.now() - 60_000);
    const debug = await run(entries, { KRAKEN_LOG_FORMAT: "json", KRAKEN_LOG_LEVEL: "debug" });
    expect(debug.lines.map((l) => JSON.parse(l).level)).toEqual(["info", "debug", "fatal"]);
    const quiet = await run(entries, { KRAKEN_LOG_FORMAT: "json", KRAKEN_LOG_LEVEL: "error" });
    expect(quiet.lines.map((l) => JSON.parse(l).level)).toEqual(["fatal"]);
  });

  it("never writes a configured key or token, nor a field named like a secret", async () => {
    const { lines } = await run(LEAKS, { KRAKEN_LOG_FORMAT: "json" });
    const all = lines.join("\n");
    expect(lines).toHaveLength(4);
    for (const secret of [TOKEN, KEY.slice(2), "abc.def.ghi"]) expect(all.toLowerCase()).not.toContain(secret.toLowerCase());
    const [a, b, c, d] = lines.map((l) => JSON.parse(l));
    expect(a.msg).toBe(`admin request with token ${REDACTED}`);
    expect(b.msg).toBe(`deployer key ${REDACTED} (and ${REDACTED})`);
    expect(c).toMatchObject({ msg: "upstream refused", token: REDACTED, signature: REDACTED, request: { authorization: REDACTED, path: "/admin" } });
    expect(d.msg).toBe(`proxy said: Authorization: Bearer ${REDACTED}`);
  });
});

describe("readable lines (the default in development)", () => {
  it("time, level, component: message; secrets scrubbed the same way", async () => {
    const { lines } = await run([["indexer", "info", "caught up at block 12"], ...LEAKS]);
    expect(lines[0]).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] INFO.*: indexer: caught up at block 12$/);
    expect(lines.join("\n")).not.toContain(TOKEN);
    expect(lines.join("\n").toLowerCase()).not.toContain(KEY.slice(2));
  });
});

describe("a sink (tests, the start script)", () => {
  it("gets `LEVEL component: message`, its level and parts, scrubbed and filtered by level", () => {
    const got: [string, LogLevel, { component: string; msg: string }][] = [];
    const log = createLogger("relay 0x12345678", (line, level, entry) => got.push([line, level, entry]), "info");
    log.debug("not shown");
    log.error("share store: disk full");
    expect(got).toEqual([["ERROR relay 0x12345678: share store: disk full", "error", { component: "relay 0x12345678", msg: "share store: disk full" }]]);
  });
});

describe("fatal entries are e-mailed (KRAKEN_ALERT_SMTP_URL, KRAKEN_ALERT_EMAIL_TO)", () => {
  const mails: { from: string; to: string[]; user?: string; body: string }[] = [];
  let smtp: SMTPServer;
  let port = 0;
  beforeAll(async () => {
    smtp = new SMTPServer({
      disabledCommands: ["STARTTLS"],
      authOptional: true,
      onAuth(auth, _session, cb) {
        cb(auth.password === SMTP_PASSWORD ? null : new Error("bad password"), { user: auth.username });
      },
      onData(stream, session, cb) {
        let body = "";
        stream.on("data", (c) => (body += String(c)));
        stream.on("end", () => {
          mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "", to: session.envelope.rcptTo.map((r) => r.address), user: session.user as string | undefined, body });
          cb();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, "127.0.0.1", () => r()));
    port = (smtp.server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise<void>((r) => smtp.close(() => r()));
  });

  it("a fatal entry reaches the maintainers' mailbox, with the component, host and message, scrubbed; other levels do not", async () => {
    mails.length = 0;
    const smtpUrl = `smtp://alerts:${SMTP_PASSWORD}@127.0.0.1:${port}`;
    const { code, lines } = await run(
      [["indexer", "error", "one query failed"], ["indexer", "fatal", `store lost: connection refused (token ${TOKEN}, smtp ${smtpUrl})`]],
      { KRAKEN_LOG_FORMAT: "json", KRAKEN_ALERT_SMTP_URL: smtpUrl, KRAKEN_ALERT_EMAIL_TO: "ops@example.test", KRAKEN_ALERT_EMAIL_FROM: "kraken@example.test" },
    );
    expect(code).toBe(0);
    expect(lines.map((l) => JSON.parse(l).level)).toEqual(["error", "fatal"]);
    expect(mails).toHaveLength(1);
    const [mail] = mails;
    expect(mail).toMatchObject({ from: "kraken@example.test", to: ["ops@example.test"], user: "alerts" });
    expect(mail.body).toMatch(/^Subject: \[kraken\] FATAL in indexer on /m);
    expect(mail.body).toContain("store lost: connection refused");
    expect(mail.body).not.toContain(TOKEN);
    expect(mail.body).not.toContain(SMTP_PASSWORD);
    expect(lines.join("\n")).not.toContain(SMTP_PASSWORD);
  });

  it(`at most ${ALERTS_PER_HOUR} mails an hour per process (a crash loop cannot flood the mailbox)`, async () => {
    mails.length = 0;
    const entries = Array.from({ length: ALERTS_PER_HOUR + 5 }, (_, i): Entry => ["publisher", "fatal", `crash ${i}`]);
    await run(entries, { KRAKEN_LOG_FORMAT: "json", KRAKEN_ALERT_SMTP_URL: `smtp://127.0.0.1:${port}`, KRAKEN_ALERT_EMAIL_TO: "ops@example.test" });
    expect(mails).toHaveLength(ALERTS_PER_HOUR);
  });

  it("without configuration nothing is sent and nothing fails", async () => {
    mails.length = 0;
    const { code, lines } = await run([["issuer", "fatal", "boom"]], { KRAKEN_LOG_FORMAT: "json" });
    expect(code).toBe(0);
    expect(lines).toHaveLength(1);
    expect(mails).toHaveLength(0);
  });
});
