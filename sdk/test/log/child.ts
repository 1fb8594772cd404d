// A process that logs what the test asks (argv[2]: JSON list of [component, level, message,
// fields?]) through the SDK's logger, then waits for alert mails and exits as a service would.
import { createLogger, flushAlerts, type LogLevel } from "@kraken/sdk/config";

const entries = JSON.parse(process.argv[2] ?? "[]") as [string, LogLevel, string, Record<string, unknown>?][];
for (const [component, level, msg, fields] of entries) createLogger(component)[level](msg, fields);
await flushAlerts();
