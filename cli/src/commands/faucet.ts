// kraken faucet: demo DATA for your wallet on the local chain of `npm start` (gas is free
// there, so a brand-new key can register, get DATA and buy). Not available on a real network.
import { parseArgs } from "node:util";
import { formatUnits } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { FaucetError, LOCAL_FAUCET_URL, requestDemoData } from "@kraken/sdk";
import { configValue } from "@kraken/sdk/config";
import { COMMON_OPTIONS, hasKey, loadKey } from "../context.ts";
import { CliError, EXIT } from "../errors.ts";
import type { Command } from "../main.ts";

export const faucet: Command = {
  name: "faucet",
  summary: "get demo DATA for your wallet (local demo chain only; once an hour per address)",
  usage: `kraken faucet [--address 0x…] [--faucet URL] [--key-file FILE] [--json]

  address: --address, else the address of your key (PRIVATE_KEY or --key-file)
  faucet:  --faucet, else KRAKEN_FAUCET_URL, else ${LOCAL_FAUCET_URL} (run by npm start)`,
  async run(argv, out) {
    const { values } = parseArgs({ args: argv, options: { ...COMMON_OPTIONS, address: { type: "string" }, faucet: { type: "string" } } });
    const address = values.address ?? (hasKey(values) ? privateKeyToAccount(loadKey(values)).address : undefined);
    if (!address) throw new CliError(EXIT.usage, "which address? pass --address 0x… or set PRIVATE_KEY (or --key-file)");
    const url = values.faucet ?? configValue("KRAKEN_FAUCET_URL");
    out.progress(`asking the demo faucet at ${url} for DATA for ${address}`);
    try {
      const drip = await requestDemoData(url, address);
      out.result(drip, (d) =>
        [
          `Received ${formatUnits(BigInt(d.amount), 18)} DATA at ${d.address} (transaction ${d.txHash}).`,
          `Balance: ${formatUnits(BigInt(d.balance), 18)} DATA. Ask again after ${new Date(d.nextAt).toLocaleString()}.`,
        ].join("\n"));
    } catch (err) {
      if (err instanceof FaucetError) throw new CliError(err.code === "bad-address" ? EXIT.usage : EXIT.refused, err.message, err.code);
      throw err;
    }
  },
};
