// kraken fetch AGREEMENT --out FILE: gets a batch file you bought. Checks the agreement on
// chain, subscribes to your inboxes at the product's relays, asks each relay (signed request)
// to deliver its sealed key share, rebuilds the key from `threshold` shares, downloads the
// ciphertext, verifies its hash, decrypts to FILE and verifies the plaintext hash.
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { collectShares, deriveEncryptionKeyPair, encryptionKeyStatus, endpointsFor, readDeliveryTerms } from "@kraken/sdk";
import { downloadAndDecrypt } from "@kraken/sdk/delivery/node";
import { DEFAULT_URLS } from "@kraken/sdk/config";
import { checkChain, COMMON_OPTIONS, connect, loadKey } from "../context.ts";
import { ipfsGatewayUrl, relayDirectory, streamrClient, toCliError } from "../delivery.ts";
import { CliError, EXIT } from "../errors.ts";
import type { Command } from "../main.ts";

export const fetchCommand: Command = {
  name: "fetch",
  summary: "download and decrypt a batch file you bought (key shares from the relays)",
  usage: `kraken fetch AGREEMENT --out FILE [--force] [--timeout SECONDS (60)] [--gateway URL] [--rpc URL] [--deployment FILE] [--key-file FILE] [--json]

  AGREEMENT   your agreement id (\`kraken agreements\` lists them)
  --out       where to write the file (written as FILE.part, renamed once both hashes match)
  --force     overwrite FILE if it exists
  --gateway   IPFS gateway for ipfs:// links (default KRAKEN_IPFS_GATEWAY_URL or ${DEFAULT_URLS.ipfsGateway})
  key: PRIVATE_KEY or --key-file (the buyer's wallet: it also derives your delivery key)`,
  async run(argv, out) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { ...COMMON_OPTIONS, out: { type: "string" }, force: { type: "boolean", default: false }, timeout: { type: "string", default: "60" }, gateway: { type: "string" } },
    });
    const id = positionals[0]?.replace(/^#/, "");
    if (!id || !/^\d+$/.test(id) || positionals.length > 1) throw new CliError(EXIT.usage, "give one agreement id (a number, as `kraken agreements` shows it)");
    if (!values.out) throw new CliError(EXIT.usage, "--out FILE is required");
    if (existsSync(values.out) && !values.force) throw new CliError(EXIT.usage, `${values.out} exists; pass --force to overwrite it`);
    const timeoutMs = Number(values.timeout) * 1000;
    if (!(timeoutMs > 0)) throw new CliError(EXIT.usage, "--timeout must be a number of seconds");

    const { deployment, deploymentFile, rpcUrl, account, publicClient } = connect(values);
    await checkChain(publicClient, rpcUrl, deployment);
    const me = account.address;
    const signMessage = (message: string) => account.signMessage({ message });
    try {
      const terms = await readDeliveryTerms(publicClient, deployment, BigInt(id), me);
      const relays = endpointsFor(relayDirectory(deployment, deploymentFile), terms.agents);
      const { publicKey, secretKey } = await deriveEncryptionKeyPair({ address: me, chainId: deployment.chainId, signTypedData: (t) => account.signTypedData(t) });
      const { status } = await encryptionKeyStatus({ publicClient, credentials: deployment.contracts.Credentials.address, address: me, publicKey });
      if (status === "none") throw new CliError(EXIT.config, "no encryption key is registered for your address: register first (`kraken register`)");
      if (status === "outdated") {
        // relays seal to the registered key: with another one registered the deliveries could not be opened
        throw new CliError(EXIT.config, "your registered encryption key is from an older version; run `kraken key rotate` (one transaction), then fetch again: relays re-deliver to the new key");
      }
      out.progress(`agreement ${id}: product ${terms.productId}, ${terms.threshold} of ${terms.agents.length} relays needed; waiting for key shares`);
      const client = await streamrClient(loadKey(values), deployment, rpcUrl);
      let got;
      try {
        await client.connect();
        got = await collectShares({ terms, consumer: me, relays, secretKey, subscriber: client, signMessage, timeoutMs, onProgress: out.progress });
      } finally {
        await client.destroy().catch(() => {});
      }
      out.progress(`key rebuilt; downloading ${got.link}`);
      const t0 = performance.now();
      const bytes = await downloadAndDecrypt({ ...got, gatewayUrl: values.gateway ?? ipfsGatewayUrl(), out: values.out });
      const s = (performance.now() - t0) / 1000;
      out.progress(`  ${(bytes / 1e6).toFixed(bytes < 1e6 ? 3 : 1)} MB decrypted and verified in ${s.toFixed(1)} s`);
      const result = { agreementId: id, productId: terms.productId.toString(), out: values.out, bytes, sha256: got.plaintextHash, link: got.link, relays: got.relays };
      out.result(result, (r) => `Saved ${r.out} (${r.bytes} bytes, sha-256 ${r.sha256} verified) from agreement ${r.agreementId} on product ${r.productId}.`);
    } catch (err) {
      throw toCliError(err);
    }
  },
};
