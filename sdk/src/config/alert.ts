// Fatal log entries e-mailed to the maintainers (MKT-LOG: fatal errors alert by e-mail), through
// the SMTP server in KRAKEN_ALERT_SMTP_URL to KRAKEN_ALERT_EMAIL_TO; off unless both are set.
// At most ALERTS_PER_HOUR mails per process, so a crash loop cannot flood a mailbox; a process
// that exits after a fatal entry awaits flushAlerts() first.
import { hostname } from "node:os";
import nodemailer, { type Transporter } from "nodemailer";
import { configValue, type Env } from "./index.ts";

export const ALERTS_PER_HOUR = 10;
const SEND_TIMEOUT_MS = 10_000;

let transport: { url: string; t: Transporter } | undefined;
const sent: number[] = [];
const pending = new Set<Promise<unknown>>();
let suppressed = 0;

/** E-mails one fatal entry; resolves false when alerts are not configured or over the hourly cap. */
export function sendFatalAlert(component: string, message: string, env: Env = process.env): Promise<boolean> {
  const url = configValue("KRAKEN_ALERT_SMTP_URL", env);
  const to = configValue("KRAKEN_ALERT_EMAIL_TO", env);
  if (!url || !to) return Promise.resolve(false);
  const now = Date.now();
  while (sent.length && sent[0]! < now - 3600_000) sent.shift();
  if (sent.length >= ALERTS_PER_HOUR) {
    suppressed++;
    return Promise.resolve(false);
  }
  sent.push(now);
  if (transport?.url !== url) transport = { url, t: nodemailer.createTransport(url) };
  const host = hostname();
  const note = suppressed ? `\n\n(${suppressed} earlier fatal entries were not mailed: at most ${ALERTS_PER_HOUR} alerts an hour.)` : "";
  suppressed = 0;
  const p = transport.t.sendMail({
    from: configValue("KRAKEN_ALERT_EMAIL_FROM", env) ?? `kraken@${host}`,
    to,
    subject: `[kraken] FATAL in ${component} on ${host}`,
    text: `${new Date(now).toISOString()} FATAL ${component} (host ${host}, pid ${process.pid}):\n\n${message}${note}\n`,
  }).then(() => true);
  pending.add(p);
  void p.finally(() => pending.delete(p)).catch(() => {});
  return p;
}

/** Waits (up to `ms`) for alert mails still being sent: call before exiting after a fatal entry. */
export async function flushAlerts(ms = SEND_TIMEOUT_MS): Promise<void> {
  if (!pending.size) return;
  await Promise.race([Promise.allSettled([...pending]), new Promise((r) => setTimeout(r, ms).unref())]);
}
