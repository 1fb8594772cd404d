// Indexer benchmarks on a real local chain: backfill throughput over 10,000 published products
// and their policies, freshness (mined → visible in a query) and catalogue query latency.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPublicClient, encodeFunctionData, http, parseEther, type Hex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { catalogueAbi, clientsFor, DEV_MNEMONIC, marketplaceChain, Modality, policiesAbi, PricingUnit, ProductType, Purpose, Category, OrganisationType, TARGET_COUNTRIES, toPolicyArgs } from "@kraken/sdk";
import { startChain } from "../chain/src/index.ts";
import { ensureDeployment } from "../scripts/lib/deployment.ts";
import { buildSubgraph } from "../subgraph/scripts/build.ts";
import { startIndexer } from "../indexer/src/index.ts";
import { quantiles, time, type Row } from "./lib.ts";
import { configValue } from "@kraken/sdk/config";

const WORDS = ["heart", "glucose", "sleep", "steps", "oncology", "radiology", "cohort", "grades", "enrollment", "vitals", "asthma", "diabetes", "wearable", "clinic", "students", "courses"];
const CATEGORIES = ["Health / Clinical", "Health / Imaging", "Wellbeing / Wearables", "Education / Certificates", "Health / Laboratory"];

export async function indexerBench(products = configValue("BENCH_PRODUCTS")): Promise<{ rows: Row[]; backfill: { events: number; seconds: number; perSecond: number; startupMs: number; blocks: number } }> {
  const dir = mkdtempSync(join(tmpdir(), "kraken-bench-indexer-"));
  const port = 30000 + Math.floor(Math.random() * 20000);
  const chain = await startChain({ port, dataDir: join(dir, "chain"), log: () => {} });
  try {
    const { deployment } = await ensureDeployment({ rpcUrl: chain.rpcUrl, network: "localhost", deploymentsDir: join(dir, "deployments"), seed: false, log: () => {} });
    const rpc = createPublicClient({ transport: http(chain.rpcUrl) });
    const seller = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 2 });
    // Raw JSON-RPC: anvil and txpool methods, which viem's public client does not type.
    const call = (method: string, params: unknown[] = []) => rpc.request<{ Parameters: unknown[]; ReturnType: unknown }>({ method, params });

    // Publish N products and a policy for each, 100 transactions per block (under the gas limit).
    await call("evm_setAutomine", [false]);
    let nonce = await rpc.getTransactionCount({ address: seller.address });
    const send = (to: Hex, data: Hex) => call("eth_sendTransaction", [{ from: seller.address, to, data, gas: "0x7a120", nonce: `0x${(nonce++).toString(16)}` }]);
    const policy = { purposes: [Purpose.Research, Purpose.PublicHealth], consumerCategories: [Category.Organisation], organisationTypes: [OrganisationType.ResearchUniversity, OrganisationType.Hospital], jurisdictions: TARGET_COUNTRIES, requiresApproval: false, retentionDays: 365 };
    for (let i = 1; i <= products; i++) {
      const words = [WORDS[i % WORDS.length], WORDS[(i * 7) % WORDS.length], WORDS[(i * 11) % WORDS.length]];
      await send(deployment.contracts.Catalogue.address, encodeFunctionData({ abi: catalogueAbi, functionName: "publish", args: [ProductType.Stream, Modality.Anonymised, parseEther(String(1 + (i % 97))), PricingUnit.Day, [], 0, { metadataURI: `ipfs://bafkreibench${i}`, title: `${words[0]} ${words[1]} dataset ${i}`, summary: `Daily ${words[2]} readings from cohort ${i}`, category: CATEGORIES[i % CATEGORIES.length], tags: words }, []] }));
      await send(deployment.contracts.Policies.address, encodeFunctionData({ abi: policiesAbi, functionName: "setPolicy", args: toPolicyArgs(BigInt(i), policy) }));
      if (i % 50 === 0) await call("evm_mine");
    }
    while (Number(((await call("txpool_status")) as { pending: Hex }).pending) > 0) await call("evm_mine");
    await call("evm_setAutomine", [true]);
    const head = await rpc.getBlockNumber();

    // Backfill from scratch.
    const manifestFile = buildSubgraph(deployment);
    const tStart = performance.now();
    const indexer = await startIndexer({ rpcUrl: chain.rpcUrl, manifestFile, dataDir: join(dir, "indexer"), port: 0, log: configValue("BENCH_LOG") ? (l) => process.stderr.write(`${l}\n`) : () => {} });
    const startupMs = Math.round(performance.now() - tStart); // new embedded database, mappings loaded
    const t0 = performance.now();
    await indexer.waitFor(head, 600_000);
    const seconds = (performance.now() - t0) / 1000;
    const events = indexer.status().events;

    const query = async (q: string) => {
      const res = await fetch(indexer.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: q }) });
      const body = await res.json();
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data;
    };

    // Freshness: a product published now, from mined to visible in a query.
    const { wallet, publicClient } = clientsFor(marketplaceChain(chain.rpcUrl), seller, 5);
    const fresh: number[] = [];
    for (let i = 0; i < 30; i++) {
      const title = `fresh product ${i} ${Date.now()}`;
      const hash = await wallet.writeContract({ address: deployment.contracts.Catalogue.address, abi: catalogueAbi, functionName: "publish", args: [ProductType.Batch, Modality.Encrypted, 0n, PricingUnit.OneTime, [seller.address], 1, { metadataURI: "ipfs://bafkreifresh", title, summary: "s", category: "c", tags: [] }, []] });
      await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 5 });
      const mined = performance.now();
      for (;;) {
        const data = await query(`{ products(where: { title: ${JSON.stringify(title)} }) { id } }`);
        if (data.products.length) break;
        await new Promise((r) => setTimeout(r, 5));
      }
      fresh.push(performance.now() - mined);
    }
    const f = quantiles(fresh);

    const search = await time(100, async () => {
      await query(`{ productSearch(text: "glucose", where: { active: true, category: "Health / Clinical", price_lte: "60000000000000000000" }, first: 20) { id title price seller { id } } }`);
    });
    const filterSort = await time(100, async () => {
      await query(`{ products(where: { productType: STREAM, jurisdictions_contains: ["DE"], purposes_contains: [RESEARCH], price_gte: "10000000000000000000" }, orderBy: price, orderDirection: asc, first: 20, skip: 40) { id title price policy { version } } }`);
    });
    await indexer.stop();
    return {
      backfill: { events, seconds: Math.round(seconds * 10) / 10, perSecond: Math.round(events / seconds), startupMs, blocks: Number(head) },
      rows: [
        { operation: "freshness: mined → visible in a query (30 publishes)", median: Math.round(f.median), p95: Math.round(f.p95) },
        { operation: `query: full-text + filters over ${products.toLocaleString("en")} products, first 20`, ...search },
        { operation: `query: filters + sort by price + skip, first 20`, ...filterSort },
      ],
    };
  } finally {
    await chain.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
