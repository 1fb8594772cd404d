// kraken key status|rotate: your data-delivery encryption key. It is derived from an EIP-712
// signature of your wallet (sdk/src/encryption.ts); accounts registered before that derivation
// have an older key registered, which `rotate` replaces (Credentials.rotateEncryptionKey). Relays
// look the key up when they deliver, so re-deliveries after a rotation are sealed to the new key.
import { parseArgs } from "node:util";
import { deriveEncryptionKeyPair, encryptionKeyStatus, rotateEncryptionKey } from "@kraken/sdk";
import { SsiError } from "@kraken/sdk/ssi";
import { checkChain, COMMON_OPTIONS, connect } from "../context.ts";
import { CliError, EXIT } from "../errors.ts";
import type { Command } from "../main.ts";

const STATUS_WORDS = {
  current: "current (the key your wallet derives)",
  outdated: "from an older version: run `kraken key rotate`",
  none: "none registered: register first (`kraken register`)",
} as const;

export const key: Command = {
  name: "key",
  summary: "your data-delivery encryption key: status, or rotate an older one",
  usage: `kraken key status|rotate [--rpc URL] [--deployment FILE] [--key-file FILE] [--json]

  status   whether the encryption key registered for your address is the one your wallet derives
  rotate   register the key your wallet derives now (one transaction; nothing sent if it already is)
  key: PRIVATE_KEY or --key-file`,
  async run(argv, out) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...COMMON_OPTIONS } });
    const action = positionals[0];
    if ((action !== "status" && action !== "rotate") || positionals.length > 1) throw new CliError(EXIT.usage, "give one action: status or rotate");
    const { deployment, rpcUrl, account, wallet, publicClient } = connect(values);
    await checkChain(publicClient, rpcUrl, deployment);
    const credentials = deployment.contracts.Credentials.address;
    const keys = await deriveEncryptionKeyPair({ address: account.address, chainId: deployment.chainId, signTypedData: (t) => account.signTypedData(t) });

    if (action === "status") {
      const { status, registered } = await encryptionKeyStatus({ publicClient, credentials, address: account.address, publicKey: keys.publicKey });
      out.result({ address: account.address, status, registered, derived: keys.publicKey }, (r) => `Encryption key of ${r.address}: ${STATUS_WORDS[r.status]}.`);
      return;
    }

    out.progress(`rotating the encryption key of ${account.address}`);
    let r;
    try {
      r = await rotateEncryptionKey({ wallet, publicClient, deployment, keys });
    } catch (err) {
      if (err instanceof SsiError) throw new CliError(err.code === "not-registered" ? EXIT.config : EXIT.chain, err.message, err.code);
      throw err;
    }
    out.result(
      { address: account.address, rotated: r.transactionHash !== undefined, previous: r.previous, encryptionPublicKey: r.keys.publicKey, transactionHash: r.transactionHash ?? null },
      (x) =>
        x.rotated
          ? [
              `Rotated the encryption key of ${x.address}.`,
              `  new key        ${x.encryptionPublicKey}`,
              `  transaction    ${x.transactionHash}`,
              "Relays seal new deliveries and re-deliveries to it: `kraken fetch` works again.",
            ].join("\n")
          : `The encryption key of ${x.address} is already current; nothing sent.`,
    );
  },
};
