// kraken subscribe PRODUCT: prints the live data points of a stream product you subscribed to,
// until your subscription ends (or --count points, or Ctrl-C). Access is the agreement on chain:
// it gave you SUBSCRIBE on the product's Streamr streams until its end, and the seller's
// publisher hands you the streams' keys only while that holds.
import { parseArgs } from "node:util";
import { agreementsAbi, catalogueAbi, ProductType, ProductTypeNames } from "@kraken/sdk";
import { checkChain, COMMON_OPTIONS, connect, loadKey } from "../context.ts";
import { streamrClient } from "../delivery.ts";
import { CliError, EXIT } from "../errors.ts";
import type { Command } from "../main.ts";

export interface DataPoint {
  stream: string;
  receivedAt: string;
  data: unknown;
}

export const subscribe: Command = {
  name: "subscribe",
  summary: "print the live data of a stream product you subscribed to, until the subscription ends",
  usage: `kraken subscribe PRODUCT [--count N] [--rpc URL] [--deployment FILE] [--key-file FILE] [--json]

  PRODUCT   a stream product id you hold an active agreement on (\`kraken buy PRODUCT --periods n\`)
  --count   stop after N data points (default: run until the subscription ends or Ctrl-C)
  --json    one JSON object per data point and line
  key: PRIVATE_KEY or --key-file (the subscriber's wallet)`,
  async run(argv, out) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...COMMON_OPTIONS, count: { type: "string" } } });
    const id = positionals[0]?.replace(/^#/, "");
    if (!id || !/^\d+$/.test(id) || positionals.length > 1) throw new CliError(EXIT.usage, "give one product id (a number, as `kraken search` shows it)");
    const count = values.count === undefined ? Infinity : Number(values.count);
    if (!(count > 0)) throw new CliError(EXIT.usage, "--count must be a positive number");
    const productId = BigInt(id);

    const { deployment, rpcUrl, account, publicClient } = connect(values);
    await checkChain(publicClient, rpcUrl, deployment);
    const { Catalogue, Agreements } = deployment.contracts;
    const product = await publicClient.readContract({ address: Catalogue.address, abi: catalogueAbi, functionName: "getProduct", args: [productId] })
      .catch(() => { throw new CliError(EXIT.notFound, `product ${id} does not exist`); });
    if (product.productType !== ProductType.Stream) {
      throw new CliError(EXIT.usage, `product ${id} is a ${ProductTypeNames[product.productType]} product, not a stream${product.productType === ProductType.Batch ? ": use `kraken fetch AGREEMENT --out FILE`" : ""}`);
    }
    const streams = await publicClient.readContract({ address: Catalogue.address, abi: catalogueAbi, functionName: "streamsOf", args: [productId] });
    if (streams.length === 0) throw new CliError(EXIT.notFound, `product ${id} links no Streamr stream yet (its seller sets them with \`kraken publish --type stream\` or the dApp)`);
    const [agreementId, active] = await publicClient.readContract({ address: Agreements.address, abi: agreementsAbi, functionName: "accessOf", args: [productId, account.address] });
    if (!active) {
      throw new CliError(EXIT.notEligible, agreementId === 0n
        ? `you have no subscription to product ${id}: buy one with \`kraken buy ${id} --purpose <purpose> --periods <n>\``
        : `your agreement ${agreementId} on product ${id} does not grant access now (ended, pending approval, terminated by the seller, or your credential is no longer valid): renew or buy again with \`kraken buy ${id}\``);
    }
    const agreement = await publicClient.readContract({ address: Agreements.address, abi: agreementsAbi, functionName: "getAgreement", args: [agreementId] });
    const endsAt = Number(agreement.endsAt);
    out.progress(`agreement ${agreementId}: subscribed to ${streams.length} stream(s) of product ${id} until ${new Date(endsAt * 1000).toISOString()}`);

    const client = await streamrClient(loadKey(values), deployment, rpcUrl);
    let received = 0;
    let finish!: (why: string) => void;
    const done = new Promise<string>((resolve) => (finish = resolve));
    try {
      for (const streamId of streams) {
        const sub = await client.subscribe(streamId, (data: unknown) => {
          if (received >= count) return;
          received++;
          const point: DataPoint = { stream: streamId, receivedAt: new Date().toISOString(), data };
          out.item(point, (p) => `${p.receivedAt.slice(11, 19)}  ${p.stream.split("/").slice(1).join("/")}  ${human(p.data)}`);
          if (received >= count) finish(`stopped after --count ${count}`);
        });
        sub.on("error", (err: unknown) => out.progress(`  ${streamId}: ${(err as { code?: string }).code ?? String(err)} (no key: is your subscription still valid?)`));
      }
      // The agreement decides: stop when it no longer grants access (end, termination, credential).
      const watch = setInterval(() => {
        publicClient.readContract({ address: Agreements.address, abi: agreementsAbi, functionName: "accessOf", args: [productId, account.address] })
          .then(([latest, still]) => {
            const now = Date.now() / 1000;
            if (!still || (latest === agreementId && endsAt !== 0 && now >= endsAt)) finish(`agreement ${agreementId} no longer grants access (ended, terminated, or your credential is no longer valid)`);
          }, () => {});
      }, 2000);
      const onSignal = () => finish("stopped");
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      const why = await done;
      clearInterval(watch);
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      out.progress(`${why}; ${received} data point(s) received`);
    } finally {
      await client.destroy().catch(() => {});
    }
  },
};

/** A data point as one short line: `heartRate=72 steps=1234` for flat objects, else JSON. */
function human(data: unknown): string {
  if (data && typeof data === "object" && !Array.isArray(data)) {
    return Object.entries(data as Record<string, unknown>)
      .filter(([k]) => k !== "ts")
      .map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
      .join(" ");
  }
  return JSON.stringify(data);
}
