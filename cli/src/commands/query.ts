// kraken query <product> --op mean --column age --where sex=F [--group-by region]: one paid
// query on an analytics product (docs/analytics.md). Reads the dataset commitment and its
// manifest, validates the query against the seller's rules, checks eligibility, posts the query
// to the SMPC nodes, listens on their inboxes, pays (requestQuery: escrow until the nodes'
// receipts), then reconstructs the result from the nodes' sealed shares. `--describe` shows what
// may be asked; `--refund JOB` takes back the payment of a job the nodes did not answer in time.
import { parseArgs } from "node:util";
import {
  BalanceTooLowError, deriveEncryptionKeyPair, encryptionKeyStatus, policiesAbi, PurposeNames, refundQuery, requestQuery,
} from "@kraken/sdk";
import {
  DatasetError, gatewayFetchJson, InconsistentShareError, ManifestError, NodeApiError, nodeEndpointsFor, queryFromArgs, QueryError, queryHash,
  QueryJobError, readAnalyticsOffer, startResultCollector, submitQuery, validateQuery, type AnalyticsOffer, type QueryResult,
} from "@kraken/sdk/analytics";
import { loadSmpcDirectory } from "@kraken/sdk/delivery/node";
import { dirname } from "node:path";
import { checkChain, COMMON_OPTIONS, connect, connectReadOnly, loadKey } from "../context.ts";
import { ipfsGatewayUrl, streamrClient, toCliError } from "../delivery.ts";
import { CliError, EXIT } from "../errors.ts";
import { data, date, parseData, parseEnum, purposeWords, table, toFlag } from "../format.ts";
import { eligibility, explainRevert, parseProductId, progressLines } from "../market.ts";
import type { Command } from "../main.ts";

export const query: Command = {
  name: "query",
  summary: "run a paid query on an analytics product (secure multi-party computation; results only)",
  usage: `kraken query PRODUCT --op OP [--column C] [--where COND …] [--group-by C] --purpose P [--max-price DATA] [--permit] [--timeout S] [--json]
kraken query PRODUCT --describe        what may be asked, the privacy rules and the price
kraken query PRODUCT --refund JOB      take back the payment of a job the nodes did not answer by its deadline

  --op        count, sum, mean, variance, stddev, histogram
  --column    the numeric column (all but count)
  --where     a condition, repeatable: sex=F, region=north,south (any of), age=65..106 (bin edges of a binned column)
  --group-by  one categorical column: one result per value
  --purpose   ${PurposeNames.map(toFlag).join(", ")}
  --timeout   seconds to wait for the result (default: until the job's deadline)
  key: PRIVATE_KEY or --key-file (the buyer's wallet: it also derives the key the results are sealed to)`,
  async run(argv, out) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        ...COMMON_OPTIONS, op: { type: "string" }, column: { type: "string" }, where: { type: "string", multiple: true }, "group-by": { type: "string" },
        purpose: { type: "string" }, "max-price": { type: "string" }, permit: { type: "boolean", default: false }, timeout: { type: "string" },
        describe: { type: "boolean", default: false }, refund: { type: "string" }, gateway: { type: "string" },
      },
    });
    if (positionals.length > 1) throw new CliError(EXIT.usage, "give one product id");
    const productId = parseProductId(positionals[0]);
    const gateway = values.gateway ?? ipfsGatewayUrl();

    if (values.describe) {
      const { deployment, publicClient } = connectReadOnly(values);
      const offer = await readOffer(publicClient, deployment, productId, gateway);
      out.result(describe(offer), () => describeLines(offer).join("\n"));
      return;
    }
    const { deployment, deploymentFile, rpcUrl, account, wallet, publicClient } = connect(values);
    await checkChain(publicClient, rpcUrl, deployment);
    const analytics = deployment.contracts.Analytics?.address;
    if (!analytics) throw new CliError(EXIT.config, "this deployment has no Analytics contract: analytics products cannot be queried here");

    if (values.refund !== undefined) {
      if (!/^\d+$/.test(values.refund)) throw new CliError(EXIT.usage, "--refund takes a job id (a number)");
      try {
        const r = await refundQuery({ publicClient, wallet, account, analytics, jobId: BigInt(values.refund), onProgress: progressLines(out) });
        out.result({ jobId: values.refund, refunded: r.amount.toString(), transactionHash: r.receipt.transactionHash }, (x) => `Query job ${x.jobId}: ${data(r.amount)} refunded.`);
      } catch (err) {
        throw await explainRevert(err, { client: publicClient, deployment, productId, consumer: account.address, purpose: 0 });
      }
      return;
    }

    if (!values.op) throw new CliError(EXIT.usage, "--op is required (count, sum, mean, variance, stddev, histogram), or --describe");
    const purpose = parseEnum(PurposeNames, values.purpose, "--purpose");
    const offer = await readOffer(publicClient, deployment, productId, gateway);
    let q;
    try {
      q = validateQuery(queryFromArgs({ op: values.op, column: values.column, where: values.where, groupBy: values["group-by"] }), offer.manifest);
    } catch (err) {
      if (err instanceof QueryError) throw new CliError(EXIT.usage, `${err.message}\n(\`kraken query ${productId} --describe\` lists what may be asked)`, err.code);
      throw err;
    }
    const me = account.address;
    const verdict = await eligibility(publicClient, deployment, productId, me, purpose);
    if (!verdict.eligible) throw new CliError(verdict.verdict === "ProductNotFound" ? EXIT.notFound : EXIT.notEligible, `not eligible: ${verdict.reason}`, verdict.verdict);
    if (offer.epsilonPerQuery > 0 && offer.epsilonLeft < offer.epsilonPerQuery) {
      throw new CliError(EXIT.conflict, `the dataset's privacy budget is spent (ε ${offer.epsilonLeft} left, a query costs ${offer.epsilonPerQuery}): no more queries can be answered`, "PrivacyBudgetExhausted");
    }
    const maxPrice = values["max-price"] === undefined ? offer.price : parseData(values["max-price"], "--max-price");
    if (offer.price > maxPrice) throw new CliError(EXIT.payment, `the price is ${data(offer.price)}, above your --max-price of ${data(maxPrice)}`, "PriceAboveMax");

    const { publicKey, secretKey } = await deriveEncryptionKeyPair({ address: me, chainId: deployment.chainId, signTypedData: (t) => account.signTypedData(t) });
    const { status } = await encryptionKeyStatus({ publicClient, credentials: deployment.contracts.Credentials.address, address: me, publicKey });
    if (status !== "current") throw new CliError(EXIT.config, status === "none" ? "no encryption key is registered for your address: register first (`kraken register`)" : "your registered encryption key is from an older version; run `kraken key rotate`, then query again");

    let directory;
    try {
      directory = loadSmpcDirectory({ network: deployment.network, deploymentsDir: dirname(deploymentFile) });
    } catch (err) {
      throw toCliError(err);
    }
    const nodes = nodeEndpointsFor(directory, offer.nodes);
    out.progress(`product ${productId}: ${values.op}${q.column ? ` of ${q.column}` : ""} for ${purposeWords(purpose)}, ${data(offer.price)} (held in escrow until ${offer.threshold} of ${offer.nodes.length} nodes answer)`);
    const policy = await publicClient.readContract({ address: deployment.contracts.Policies.address, abi: policiesAbi, functionName: "policyOf", args: [productId] });
    const client = await streamrClient(loadKey(values), deployment, rpcUrl);
    let collector;
    let result: QueryResult;
    let jobId: bigint;
    try {
      await client.connect();
      await submitQuery(nodes, productId, q, offer.threshold);
      collector = await startResultCollector({ consumer: me, nodes: offer.nodes, secretKey, subscriber: client, publicClient, deployment });
      const t0 = performance.now();
      let job;
      try {
        job = await requestQuery({
          publicClient, wallet, account, contracts: { analytics, token: deployment.contracts.DataToken.address }, productId, purpose, policyVersion: policy.version,
          manifestHash: offer.manifestHash, queryHash: queryHash(q), price: offer.price, maxPrice, method: values.permit ? "permit" : "approve",
          onProgress: progressLines(out, (amount) => `approving the Analytics contract to take ${data(amount)}`),
        });
      } catch (err) {
        if (err instanceof BalanceTooLowError) throw new CliError(EXIT.payment, `insufficient DATA balance: you have ${data(err.balance)}, the query costs ${data(err.needed)}`, "ERC20InsufficientBalance");
        throw await explainRevert(err, { client: publicClient, deployment, productId, consumer: me, purpose });
      }
      jobId = job.jobId;
      out.progress(`query job ${jobId}: paid; waiting for the nodes (deadline ${date(job.deadline)})`);
      const timeoutMs = values.timeout === undefined ? undefined : Number(values.timeout) * 1000;
      result = await collector.collect({ jobId, query: q, offer, timeoutMs, onProgress: out.progress });
      out.progress(`result reconstructed in ${((performance.now() - t0) / 1000).toFixed(2)} s after payment`);
    } catch (err) {
      throw toQueryCliError(err);
    } finally {
      await collector?.stop().catch(() => {});
      await client.destroy().catch(() => {});
    }
    out.result({ productId: productId.toString(), jobId: jobId!.toString(), query: q, result }, () => resultLines(q.op, result, offer).join("\n"));
  },
};

async function readOffer(publicClient: Parameters<typeof readAnalyticsOffer>[0], deployment: Parameters<typeof readAnalyticsOffer>[1], productId: bigint, gateway: string): Promise<AnalyticsOffer> {
  try {
    return await readAnalyticsOffer(publicClient, deployment, productId, gatewayFetchJson(gateway));
  } catch (err) {
    throw toQueryCliError(err);
  }
}

function toQueryCliError(err: unknown): unknown {
  if (err instanceof CliError) return err;
  if (err instanceof QueryJobError) {
    const exit = err.code === "refused" ? EXIT.notEligible : err.code === "no-dataset" || err.code === "not-your-job" ? EXIT.notFound : EXIT.delivery;
    return new CliError(exit, err.message, err.code);
  }
  if (err instanceof QueryError) return new CliError(EXIT.usage, err.message, err.code);
  if (err instanceof NodeApiError) return new CliError(err.status === 400 ? EXIT.usage : EXIT.delivery, `computation node: ${err.message}`, err.code);
  if (err instanceof InconsistentShareError) return new CliError(EXIT.integrity, `${err.message}: the result is not shown (a node delivered a wrong share)`, err.code);
  if (err instanceof ManifestError || err instanceof DatasetError) return new CliError(EXIT.integrity, err.message, err.code);
  return toCliError(err);
}

function describe(o: AnalyticsOffer) {
  return {
    productId: o.productId.toString(), rows: o.rows, price: o.price.toString(), datasetVersion: o.datasetVersion, minCohort: o.minCohort,
    epsilonPerQuery: o.epsilonPerQuery, epsilonLeft: o.epsilonLeft, jobTimeout: o.jobTimeout, nodes: o.nodes, threshold: o.threshold,
    schema: o.manifest.schema, allowed: o.manifest.allowed,
  };
}

function describeLines(o: AnalyticsOffer): string[] {
  const allowed = new Set(o.manifest.allowed.columns);
  return [
    `Analytics product ${o.productId}: ${o.rows.toLocaleString("en")} rows, ${data(o.price)} per query, answered by ${o.threshold} of ${o.nodes.length} computation nodes.`,
    `  operations   ${o.manifest.allowed.operations.join(", ")}`,
    `  group by     ${o.manifest.allowed.groupBy.join(", ") || "(not allowed)"}`,
    "  columns:",
    ...o.manifest.schema.columns.filter((c) => allowed.has(c.name)).map((c) =>
      c.kind === "categorical" ? `    ${c.name.padEnd(16)} one of ${c.values.join(", ")}` : `    ${c.name.padEnd(16)} ${c.min}..${c.max}${c.bins ? `, bins ${c.bins.join(" | ")}` : ""}`),
    "  privacy:",
    `    results for fewer than ${o.minCohort} people are withheld; a query whose group differs from one of your earlier ones by fewer than ${o.minCohort} people is refused`,
    o.epsilonPerQuery > 0 ? `    noise: ε ${o.epsilonPerQuery} per query; ε ${o.epsilonLeft} left for all buyers` : "    no noise is added (exact results)",
    `    unanswered after ${Math.round(o.jobTimeout / 60)} min: the payment can be refunded (\`--refund JOB\`)`,
  ];
}

const num = (x: number | undefined, digits = 3) => (x === undefined ? "" : Number.isInteger(x) ? x.toLocaleString("en") : x.toFixed(digits));

function resultLines(op: string, r: QueryResult, o: AnalyticsOffer): string[] {
  const cols = op === "count" || op === "histogram" ? ["count"] : op === "sum" ? ["count", "sum"] : op === "mean" ? ["count", "mean"] : ["count", "mean", op];
  const rows = r.cells.map((c) => [c.key || "(all)", ...(c.suppressed ? cols.map((_, i) => (i === 0 ? `withheld (< ${o.minCohort})` : "")) : cols.map((k) => num(c[k as keyof typeof c] as number | undefined)))]);
  return [
    table(["cell", ...cols], rows),
    `nodes ${r.nodes.map((i) => i + 1).join(", ")}: ${r.consistent ? "all three shares agree" : "two shares combined (not cross-checked)"}; ${r.epsilon > 0 ? `noise added (ε ${r.epsilon})` : "exact (no noise)"}`,
  ];
}

