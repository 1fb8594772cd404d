// Data union benchmarks.
// Gas (`unionGasBench`): the union's operations on the in-process Hardhat chain with the same
// deployment code as `npm start` (the real StreamRegistryV5 included), N runs each with fresh
// users, and a purchase of a union's product with 10 members against one with 10,000 members:
// revenue accounting is O(1), so both must cost the same gas (within 1 %, else this throws).
// Latency (`unionStreamBench`): publish → receive through a union's stream (a member publishes,
// a consumer holding a purchase of the union's product receives) against a plain stream
// product, on the Streamr setup of bench/stream.ts, same run, messages interleaved.
import { encodeFunctionData, keccak256, parseEther, toHex, type Address, type Hex, type TransactionReceipt } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import {
  agreementsAbi,
  attestationDomain,
  attestationTypes,
  Category,
  Country,
  createUnion,
  credentialsAbi,
  dataTokenAbi,
  dataUnionAbi,
  individualsIn,
  joinUnion,
  Modality,
  OrganisationType,
  partUnion,
  PricingUnit,
  Purpose,
  readOffer,
  TARGET_COUNTRIES,
  withdrawEarnings,
  type UnionSetup,
} from "@kraken/sdk";
import { configValue } from "@kraken/sdk/config";
import { createProductStream } from "@kraken/streamr";
import { marketplaceFixture } from "../test/helpers/marketplace.ts";
import { quantiles, table, type Row } from "./lib.ts";
import { buyStream, measureLatencies, publishStreamProduct, round2, withStreamrStack } from "./stream.ts";

/** A purchase with the large union may cost at most this times the gas of one with 10 members. */
export const PURCHASE_RATIO_LIMIT = 1.01;
export const DEFAULT_UNION_MEMBERS = 10_000;
const SMALL_UNION = 10;
const PRICE = parseEther("3");

export const benchUnionSetup = (streamPath: string, minMembers = 1, jurisdictions: Country[] = [Country.IT]): UnionSetup => ({
  feeBps: 1_000,
  minMembers,
  join: individualsIn(jurisdictions),
  streamPath,
  modality: Modality.Encrypted,
  price: PRICE,
  pricingUnit: PricingUnit.Day,
  description: { metadataURI: "ipfs://bafkreibenchunion", title: "Bench union", summary: "", category: "Bench", tags: ["union"] },
  policy: {
    purposes: [Purpose.Research],
    consumerCategories: [Category.Organisation],
    organisationTypes: [OrganisationType.ResearchUniversity],
    jurisdictions: TARGET_COUNTRIES,
    requiresApproval: false,
    retentionDays: 0,
  },
});

type Fixture = Awaited<ReturnType<typeof marketplaceFixture>>;
type Facts = { category: Category; organisationType: OrganisationType; country: Country };
const INDIVIDUAL_IT: Facts = { category: Category.Individual, organisationType: OrganisationType.None, country: Country.IT };
const RESEARCH_SE: Facts = { category: Category.Organisation, organisationType: OrganisationType.ResearchUniversity, country: Country.SE };

/**
 * People on the in-process chain, made fast but honestly: each is an account of its own (an
 * address derived from `label`, funded with `setBalance` and impersonated, so the node signs
 * its transactions and no key is needed) that registers its own credential, signed by a
 * trusted issuer, with its own `Credentials.register` transaction; `then` (e.g. join) is a
 * further transaction from the same account. Transactions go straight to the in-process
 * provider (explicit gas, automine), without viem's per-call estimation.
 */
async function people(f: Fixture, issuer: ReturnType<typeof privateKeyToAccount>, label: string, n: number, facts: Facts, then?: { to: Address; data: Hex }) {
  const chainId = BigInt(f.deployment.chainId);
  const now = BigInt(await f.networkHelpers.time.latest());
  const domain = attestationDomain(chainId, f.addr.credentials);
  const addresses = Array.from({ length: n }, (_, i) => `0x${keccak256(toHex(`bench ${label} ${i}`)).slice(-40)}` as Address);
  const send = (from: Address, to: Address, data: Hex) =>
    f.connection.provider.request({ method: "eth_sendTransaction", params: [{ from, to, data, gas: "0x80000" }] }) as Promise<Hex>;
  const thenHashes: Hex[] = [];
  let last: Hex | undefined;
  const CHUNK = 250; // sign a chunk, then send it (bounded memory, same speed)
  for (let s = 0; s < n; s += CHUNK) {
    const chunk = addresses.slice(s, s + CHUNK);
    await Promise.all(chunk.flatMap((a) => [f.networkHelpers.setBalance(a, parseEther("1")), f.networkHelpers.impersonateAccount(a)]));
    const registers: Hex[] = [];
    for (const subject of chunk) {
      const att = {
        subject,
        issuer: issuer.address,
        ...facts,
        credentialHash: keccak256(toHex(`vc of ${subject}`)),
        encryptionKey: keccak256(toHex(`x25519 of ${subject}`)),
        issuedAt: now - 10n,
        expiresAt: now + 365n * 86_400n,
        nonce: BigInt(++attestationNonce),
        chainId,
      };
      const signature = await issuer.signTypedData({ domain, types: attestationTypes, primaryType: "Attestation", message: att });
      registers.push(encodeFunctionData({ abi: credentialsAbi, functionName: "register", args: [att, signature] }));
    }
    // Sent without waiting for each other (the provider still mines them one by one, one
    // block each): the chunk's registrations, then its joins.
    const registered = await Promise.all(chunk.map((a, i) => send(a, f.addr.credentials, registers[i])));
    last = registered.at(-1);
    if (then) {
      const sent = await Promise.all(chunk.map((a) => send(a, then.to, then.data)));
      for (const [i, hash] of sent.entries()) if (s + i === 1 || s + i === n - 1) thenHashes.push(hash);
      last = sent.at(-1);
    }
  }
  if (last) await f.tx(Promise.resolve(last)); // throws if the last one reverted; callers check counts
  // Gas of `then` by the 2nd account and the last (the 1st may differ: e.g. it puts a union on sale).
  const thenGas = await Promise.all(thenHashes.map(async (hash) => (await f.publicClient.getTransactionReceipt({ hash })).gasUsed));
  return { addresses, thenGas };
}
let attestationNonce = 1_000_000;

export interface UnionGas {
  rows: Row[];
  members: number;
  /** seconds to register and join `members` members (2 transactions each) */
  populateSeconds: number;
  purchase: { small: Row; large: Row; ratioMedian: number; ratioP95: number };
  /** gas of the 2nd and of the last member's join into the large union (no sale yet) */
  largeJoins: [second: bigint, last: bigint];
}

/**
 * Gas of create, join (PUBLISH granted), part (PUBLISH revoked), withdraw and a paid purchase
 * of a union's product, N runs each with fresh users; the purchase with 10 and with `members`
 * members. Throws when the two purchases differ by more than PURCHASE_RATIO_LIMIT (either
 * way, on the median or the p95).
 */
export async function unionGasBench(N = 10, members = DEFAULT_UNION_MEMBERS): Promise<UnionGas> {
  const f = await marketplaceFixture();
  const samples = new Map<string, bigint[]>();
  const record = (op: string, r: TransactionReceipt) => samples.set(op, [...(samples.get(op) ?? []), r.gasUsed]);
  const issuer = privateKeyToAccount(keccak256(toHex("kraken bench union issuer")));
  await f.tx(f.admin.writeContract({ address: f.addr.credentials, abi: credentialsAbi, functionName: "trustIssuer", args: [issuer.address] }));
  const wallet = (a: Address) => f.connection.viem.getWalletClient(a);
  const clients = async (a: Address) => ({ publicClient: f.publicClient, wallet: await wallet(a), account: a });
  const join = encodeFunctionData({ abi: dataUnionAbi, functionName: "join" });
  const memberCount = (union: Address) => f.publicClient.readContract({ address: union, abi: dataUnionAbi, functionName: "memberCount" });

  // The unions whose purchases are compared: 10 members and `members` members, made the same way.
  const admin = f.wallets[14];
  const small = await createUnion({ publicClient: f.publicClient, wallet: admin, account: admin.account, factory: f.addr.unionFactory, setup: benchUnionSetup("/small") });
  const large = await createUnion({ publicClient: f.publicClient, wallet: admin, account: admin.account, factory: f.addr.unionFactory, setup: benchUnionSetup("/large") });
  await people(f, issuer, "small member", SMALL_UNION, INDIVIDUAL_IT, { to: small.union, data: join });
  const t0 = performance.now();
  const { thenGas: joinGas } = await people(f, issuer, "large member", members, INDIVIDUAL_IT, { to: large.union, data: join });
  const populateSeconds = Math.round((performance.now() - t0) / 100) / 10;
  for (const [u, want] of [[small.union, SMALL_UNION], [large.union, members]] as const) {
    const got = await memberCount(u);
    if (got !== BigInt(want)) throw new Error(`union ${u} has ${got} members, expected ${want}`);
  }
  // The union whose members join, withdraw and part in the runs: already on sale (10 members),
  // so a join does not cross minMembers (which would re-list the product: not the usual join).
  const ops = await createUnion({ publicClient: f.publicClient, wallet: admin, account: admin.account, factory: f.addr.unionFactory, setup: benchUnionSetup("/ops") });
  await people(f, issuer, "ops member", SMALL_UNION, INDIVIDUAL_IT, { to: ops.union, data: join });

  const { addresses: admins } = await people(f, issuer, "admin", N, RESEARCH_SE);
  const { addresses: joiners } = await people(f, issuer, "joiner", N, INDIVIDUAL_IT);
  const { addresses: consumers } = await people(f, issuer, "consumer", 3 * N + 1, RESEARCH_SE);
  for (const c of consumers) {
    await f.tx(f.admin.writeContract({ address: f.addr.token, abi: dataTokenAbi, functionName: "mint", args: [c, PRICE] }));
    await f.tx((await wallet(c)).writeContract({ address: f.addr.token, abi: dataTokenAbi, functionName: "approve", args: [f.addr.agreements, PRICE], account: c }));
  }
  const buy = async (consumer: Address, productId: bigint) => {
    const o = await readOffer(f.publicClient, f.addr, productId);
    return f.tx((await wallet(consumer)).writeContract({ address: f.addr.agreements, abi: agreementsAbi, functionName: "requestAccess", args: [productId, Purpose.Research, o.policyVersion, o.pricingUnit, 1, PRICE], account: consumer }));
  };
  // The chain's first paid purchase writes storage no later one does (counters from zero):
  // made here, of a union of its own, it does not land on whichever union run 0 buys first.
  const warm = await createUnion({ publicClient: f.publicClient, wallet: admin, account: admin.account, factory: f.addr.unionFactory, setup: benchUnionSetup("/warm") });
  await people(f, issuer, "warm member", 1, INDIVIDUAL_IT, { to: warm.union, data: join });
  await buy(consumers[3 * N], warm.productId);
  const smallOp = `requestAccess paid, union of ${SMALL_UNION} members`;
  const largeOp = `requestAccess paid, union of ${members.toLocaleString("en")} members`;

  for (let i = 0; i < N; i++) {
    const created = await createUnion({ ...(await clients(admins[i])), factory: f.addr.unionFactory, setup: benchUnionSetup(`/run${i}`) });
    record("create (clone + stream + product + policy)", created.receipt);
    // The two purchases compared, in alternating order, each by a fresh consumer.
    const pair: [string, Address, bigint][] = [[smallOp, consumers[3 * i], small.productId], [largeOp, consumers[3 * i + 1], large.productId]];
    for (const [op, consumer, productId] of i % 2 ? pair.reverse() : pair) record(op, await buy(consumer, productId));
    // A fresh member joins, the union sells once, the member withdraws its share and parts.
    record("join (credential check, PUBLISH granted)", (await joinUnion({ ...(await clients(joiners[i])), union: ops.union })).receipt);
    await buy(consumers[3 * i + 2], ops.productId);
    record("withdraw (settles the sale first)", (await withdrawEarnings({ ...(await clients(joiners[i])), union: ops.union })).receipt);
    record("part (PUBLISH revoked)", (await partUnion({ ...(await clients(joiners[i])), union: ops.union })).receipt);
  }
  if ((await memberCount(large.union)) !== BigInt(members)) throw new Error("the large union's membership changed during the runs");

  const rows = [...samples.entries()].map(([operation, v]) => ({ operation, ...quantiles(v) }));
  const s = rows.find((r) => r.operation === smallOp)!, l = rows.find((r) => r.operation === largeOp)!;
  const ratio = (a: bigint | number, b: bigint | number) => Math.round((Number(a) / Number(b)) * 10_000) / 10_000;
  const purchase = { small: s, large: l, ratioMedian: ratio(l.median, s.median), ratioP95: ratio(l.p95, s.p95) };
  if (Math.max(purchase.ratioMedian, purchase.ratioP95, 1 / purchase.ratioMedian, 1 / purchase.ratioP95) > PURCHASE_RATIO_LIMIT) {
    throw new Error(
      `data union purchase gas is not O(1) in members: ${SMALL_UNION} members median ${s.median} p95 ${s.p95}, ` +
        `${members} members median ${l.median} p95 ${l.p95} (ratio ${purchase.ratioMedian} / ${purchase.ratioP95}, limit ${PURCHASE_RATIO_LIMIT})`,
    );
  }
  return { rows, members, populateSeconds, purchase, largeJoins: [joinGas[0], joinGas.at(-1)!] };
}

/** The gas table and the purchase comparison, as `npm run bench` prints them. */
export function unionGasReport(g: UnionGas, runs: number): string {
  const n = g.members.toLocaleString("en");
  return [
    table(`Data union gas (${runs} runs each, fresh users; real StreamRegistryV5)`, "gas", g.rows),
    `purchase of a union's product, ${n} vs ${SMALL_UNION} members: median ×${g.purchase.ratioMedian}, p95 ×${g.purchase.ratioP95} (limit ×${PURCHASE_RATIO_LIMIT}: O(1) revenue accounting)`,
    `join into the union before any sale: 2nd member ${g.largeJoins[0].toLocaleString("en")} gas, ${n}th member ${g.largeJoins[1].toLocaleString("en")} gas`,
    `${n} members registered and joined in ${g.populateSeconds} s (${(2 * g.members).toLocaleString("en")} transactions, each from the member's own account)`,
    "",
  ].join("\n");
}

/**
 * Publish → receive through a union's stream (member Anna, #3, publishes; the research
 * institute, #4, bought the union's product) against a plain stream product (the hospital, #2,
 * publishes; #4 bought it), same Streamr network and run, interleaved. `ratio`: union / plain
 * on the median.
 */
export async function unionStreamBench(messages = 200): Promise<{ rows: Row[]; ratio: number }> {
  return withStreamrStack(async (b) => {
    const clients = (i: number) => {
      const c = b.stack.clients(i);
      return { publicClient: c.publicClient, wallet: c.wallet, account: c.account };
    };
    const factory = b.stack.deployment.contracts.DataUnionFactory!.address;
    const u = await createUnion({ ...clients(10), factory, setup: benchUnionSetup("/bench/union", 1, [Country.DE]) });
    await joinUnion({ ...clients(3), union: u.union }); // Anna (individual, DE): PUBLISH on the union's stream
    await buyStream(b, 4, u.productId); // SUBSCRIBE on the union's stream
    const publisher = await b.client(2, "bench-publisher");
    const member = await b.client(3, "bench-member");
    const subscriber = await b.client(4, "bench-subscriber");
    const plain = await createProductStream(publisher, "/bench/product");
    await buyStream(b, 4, await publishStreamProduct(b, 2, plain));

    const [plainMs, unionMs] = await measureLatencies(subscriber, [{ id: plain, publisher }, { id: u.streamId, publisher: member }], messages);
    const p = quantiles(plainMs), q = quantiles(unionMs);
    return {
      rows: [
        { operation: `stream product publish → receive (${plainMs.length}/${messages} received)`, median: round2(p.median), p95: round2(p.p95) },
        { operation: `union stream, member publishes → buyer receives (${unionMs.length}/${messages} received)`, median: round2(q.median), p95: round2(q.p95) },
      ],
      ratio: Math.round((q.median / p.median) * 100) / 100,
    };
  });
}

// `npx tsx bench/unions.ts [members] [runs] [messages]`: this bench alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  const [members, runs, messages]: number[] = [DEFAULT_UNION_MEMBERS, configValue("BENCH_RUNS"), configValue("BENCH_MESSAGES")].map((d, i) => Number(process.argv[2 + i] ?? d));
  const t0 = performance.now();
  process.stdout.write(unionGasReport(await unionGasBench(runs, members), runs));
  const t1 = performance.now();
  const l = await unionStreamBench(messages);
  process.stdout.write(table("Union stream vs stream product publish → receive (loopback, same run, interleaved)", "ms", l.rows));
  process.stdout.write(`union stream / stream product on the median: ×${l.ratio}\n`);
  process.stdout.write(`(gas part ${Math.round((t1 - t0) / 1000)} s, latency part ${Math.round((performance.now() - t1) / 1000)} s)\n`);
  process.exit(0);
}
