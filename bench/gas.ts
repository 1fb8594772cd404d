// Gas per user operation, measured on the in-process Hardhat chain with the same deployment
// code as `npm start`. Each operation runs N times with fresh users (cold storage, the case a
// real user pays for); the table gives median and p95 of gasUsed.
import { parseEther, sha256, toHex, type TransactionReceipt } from "viem";
import { agreementsAbi, catalogueAbi, Category, Country, dataTokenAbi, signPermit, OrganisationType, PricingUnit, ProductType, Purpose, TARGET_COUNTRIES } from "@kraken/sdk";
import { streamRegistryAbi } from "@kraken/streamr/registry";
import { marketplaceFixture } from "../test/helpers/marketplace.ts";
import { quantiles, type Row } from "./lib.ts";

export const PAID_REQUEST_BUDGET = 200_000n;

/** Issue #18 item 6: the three hot user operations, their gas targets (median) and references. */
export const GAS_TARGETS = [
  { operation: "requestAccess subscription (7 days, SUBSCRIBE grant)", label: "stream subscription + SUBSCRIBE grant", target: 180_000n, ceiling: 219_000n, reference: "Streamr MarketplaceV4, one stream: 200,771" },
  { operation: "requestAccess paid", label: "paid batch request", target: 140_000n, ceiling: 151_000n, reference: "Ocean, cheapest steady-state order: 219,288" },
  { operation: "renew (7 days, SUBSCRIBE extended)", label: "subscription renewal", target: 110_000n, ceiling: 139_000n, reference: "—" },
] as const;
// `ceiling`: the median measured after the 2026-12 gas work, rounded up; test/gas.test.ts fails
// above it (no regression). The targets are below the storage floor of the current design with
// Streamr's StreamRegistryV5 (docs/benchmarks.md#gas-targets), hence a separate ceiling.

/** Each target operation's median beside its target and reference, with met / not met. */
export function gasTargetTable(rows: Row[]): string {
  const lines = GAS_TARGETS.map((t) => {
    const row = rows.find((r) => r.operation === t.operation);
    const median = row ? BigInt(row.median) : undefined;
    const verdict = median === undefined ? "not measured" : median <= t.target ? "met" : `not met (+${(median - t.target).toLocaleString("en")})`;
    return `${t.label.padEnd(38)}  ${(median?.toLocaleString("en") ?? "—").padStart(10)}  ${t.target.toLocaleString("en").padStart(10)}  ${verdict.padEnd(18)}  ${t.reference}`;
  });
  return [
    "Gas targets (issue #18 item 6; median of the rows above)",
    `${"operation".padEnd(38)}  ${"median".padStart(10)}  ${"target".padStart(10)}  ${"".padEnd(18)}  reference`,
    `${"-".repeat(38)}  ${"-".repeat(10)}  ${"-".repeat(10)}  ${"-".repeat(18)}  ${"-".repeat(9)}`,
    ...lines,
    "",
  ].join("\n");
}

const policy = {
  purposes: [Purpose.Research],
  consumerCategories: [Category.Organisation],
  organisationTypes: [OrganisationType.ResearchUniversity],
  jurisdictions: TARGET_COUNTRIES,
  requiresApproval: false,
  retentionDays: 365,
};

export async function gasBench(N = 10): Promise<Row[]> {
  const f = await marketplaceFixture();
  const { wallets } = f;
  const samples = new Map<string, bigint[]>();
  const record = (op: string, r: TransactionReceipt) => samples.set(op, [...(samples.get(op) ?? []), r.gasUsed]);
  const seller = wallets[2];
  const research = { category: Category.Organisation, organisationType: OrganisationType.ResearchUniversity, country: Country.SE };
  await (await f.register(seller, { category: Category.Organisation, organisationType: OrganisationType.Hospital, country: Country.IT })).send();
  const agreementIdOf = (r: TransactionReceipt) => BigInt(r.logs.find((l) => l.address.toLowerCase() === f.addr.agreements.toLowerCase())!.topics[1]!);
  const request = async (who: (typeof wallets)[number], id: bigint, periods: number, max: bigint) =>
    f.tx(who.writeContract({ address: f.addr.agreements, abi: agreementsAbi, functionName: "requestAccess", args: [id, Purpose.Research, ...(await f.pins(id)), periods, max] }));

  for (let i = 0; i < N; i++) {
    const consumer = wallets[(i % 14) + 4]; // a new consumer each run (for up to 14 runs)
    // Each run uses a fresh product so consumers never hit AlreadyHasAccess.
    const published = await f.publishTx(seller, { price: parseEther("10") });
    record("publish (batch, 3 relays)", published);
    const batch = BigInt(published.logs[0].topics[1]!);
    record("set policy", await f.setPolicy(seller, batch, policy));
    // The fixture's batch products are anonymised: bind a report, then replace it (a new version).
    const report = (version: number, k: number, l: number) =>
      f.tx(seller.writeContract({ address: f.addr.catalogue, abi: catalogueAbi, functionName: "reportAnonymisation", args: [batch, sha256(toHex(`report ${i}.${version}`)), k, l, "ipfs://bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"] }));
    record("reportAnonymisation (first report)", await report(1, 10, 3));
    record("reportAnonymisation (replacing it)", await report(2, 12, 4));
    const free = await f.publish(seller, { price: 0n });
    await f.setPolicy(seller, free, policy);
    const approval = await f.publish(seller, { price: parseEther("10") });
    await f.setPolicy(seller, approval, { ...policy, requiresApproval: true });
    // A stream product linking one Streamr stream: a subscription grants SUBSCRIBE on it.
    await f.tx(seller.writeContract({ address: f.deployment.streamRegistry!, abi: streamRegistryAbi, functionName: "createStream", args: [`/bench/${i}`, "{}"] }));
    const streamPublished = await f.publishTx(seller, { productType: ProductType.Stream, unit: PricingUnit.Day, price: parseEther("1"), agents: [], threshold: 0, streams: [`${seller.account.address.toLowerCase()}/bench/${i}`] });
    record("publish (stream, 1 linked stream)", streamPublished);
    const stream = BigInt(streamPublished.logs[0].topics[1]!);
    await f.setPolicy(seller, stream, policy);
    const permitted = await f.publish(seller, { price: parseEther("10") });
    await f.setPolicy(seller, permitted, policy);

    if (i < 14) record("register (attestation)", await (await f.register(consumer, research)).send());
    await f.tx(f.admin.writeContract({ address: f.addr.token, abi: dataTokenAbi, functionName: "mint", args: [consumer.account.address, parseEther("100")] }));
    await f.tx(consumer.writeContract({ address: f.addr.token, abi: dataTokenAbi, functionName: "approve", args: [f.addr.agreements, parseEther("40")] }));

    const freeAgreement = await request(consumer, free, 1, 0n);
    record("requestAccess free", freeAgreement);
    record("requestAccess paid", await request(consumer, batch, 1, parseEther("10")));
    const pending = await request(consumer, approval, 1, parseEther("10"));
    record("requestAccess with approval (escrow)", pending);
    record("approve (pays out escrow)", await f.tx(seller.writeContract({ address: f.addr.agreements, abi: agreementsAbi, functionName: "approve", args: [agreementIdOf(pending)] })));
    const sub = await request(consumer, stream, 7, parseEther("7"));
    record("requestAccess subscription (7 days, SUBSCRIBE grant)", sub);
    record("renew (7 days, SUBSCRIBE extended)", await f.tx(consumer.writeContract({ address: f.addr.agreements, abi: agreementsAbi, functionName: "renew", args: [agreementIdOf(sub), ...(await f.pins(stream)), 7, parseEther("7")] })));
    await f.tx(seller.writeContract({ address: f.addr.token, abi: dataTokenAbi, functionName: "approve", args: [f.addr.agreements, parseEther("14")] }));
    record("terminate (subscription, pro-rata refund, SUBSCRIBE revoked)", await f.tx(seller.writeContract({ address: f.addr.agreements, abi: agreementsAbi, functionName: "terminate", args: [agreementIdOf(sub)] })));

    const deadline = BigInt(await f.networkHelpers.time.latest()) + 3600n;
    const sig = await signPermit({ wallet: consumer, publicClient: f.publicClient, token: f.addr.token, owner: consumer.account, spender: f.addr.agreements, value: parseEther("10"), deadline });
    record("requestAccess paid with permit", await f.tx(consumer.writeContract({ address: f.addr.agreements, abi: agreementsAbi, functionName: "requestAccessWithPermit", args: [permitted, Purpose.Research, ...(await f.pins(permitted)), 1, parseEther("10"), deadline, sig.v, sig.r, sig.s] })));
    record("recordDelivery (relay receipt)", await f.tx(wallets[11].writeContract({ address: f.addr.agreements, abi: agreementsAbi, functionName: "recordDelivery", args: [agreementIdOf(freeAgreement), `0x${(i + 1).toString(16).padStart(64, "0")}`] })));
  }

  return [...samples.entries()].map(([operation, v]) => ({ operation, ...quantiles(v) }));
}
