// `node --import tsx chain/src/cli.ts [--port 8545] [--data-dir .data/chain]`
// Runs the local chain until SIGINT/SIGTERM, saving its state on the way out.
import { parseArgs } from "node:util";
import { readConfig } from "@kraken/sdk/config";
import { startChain } from "./index.ts";

const cfg = readConfig();
const { values } = parseArgs({
  options: {
    port: { type: "string", default: String(cfg.KRAKEN_CHAIN_PORT) },
    "data-dir": { type: "string", default: cfg.KRAKEN_CHAIN_DATA_DIR },
  },
});

let chain;
try {
  chain = await startChain({
    port: values.port ? Number(values.port) : undefined,
    dataDir: values["data-dir"],
  });
} catch (err) {
  process.stderr.write(`[chain] ${(err as Error).message}\n`);
  process.exit(1);
}

process.stderr.write(
  `[chain] ready: ${chain.rpcUrl} (ws ${chain.wsUrl}); dev accounts from the standard "test test ... junk" mnemonic. Ctrl-C to stop.\n`,
);

let stopping = false;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    if (stopping) return; // a second Ctrl-C while saving: keep saving
    stopping = true;
    chain.stop().then(() => process.exit(0), (err) => {
      process.stderr.write(`[chain] stop failed: ${(err as Error).message}\n`);
      process.exit(1);
    });
  });
}
// anvil died on its own: exit non-zero so a supervisor (npm start) notices.
chain.exited.then(() => { if (!stopping) process.exit(1); });
