// `kraken union create | join | show | withdraw | members | leave` as users run them (child
// processes), against a real local chain with Streamr's StreamRegistryV5, the demo issuer, an
// IPFS node for the metadata, and the local indexer running the compiled subgraph's DataUnion
// template — the whole path from creating a union to a member's earnings in the subgraph.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dataTokenAbi, streamRegistryAbi } from "@kraken/sdk";
import { buildSubgraph } from "../../subgraph/scripts/build.ts";
import { startIndexer, type RunningIndexer } from "../../indexer/src/index.ts";
import { startIpfs, type RunningIpfs } from "../../ipfs/src/index.ts";
import { startStack, type Stack } from "../../test/helpers/stack.ts";
import { EXIT } from "../src/errors.ts";
import { kraken } from "./run.ts";

let s: Stack;
let ipfs: RunningIpfs;
let indexer: RunningIndexer;
const ADMIN = 12, A = 13, B = 14, OUTSIDER = 15, CONSUMER = 16;

const env = (index?: number) => ({
  KRAKEN_RPC_URL: s.rpcUrl,
  KRAKEN_DEPLOYMENT: s.deploymentFile,
  KRAKEN_SUBGRAPH_URL: indexer.url,
  KRAKEN_IPFS_API_URL: ipfs.apiUrl,
  ...(index !== undefined && { PRIVATE_KEY: s.clients(index).privateKey }),
});
const ok = async (args: string[], index?: number) => {
  const r = await kraken([...args, "--json"], env(index));
  expect(r.code, r.stderr + r.stdout).toBe(0);
  return JSON.parse(r.stdout);
};

beforeAll(async () => {
  s = await startStack();
  ipfs = await startIpfs({ apiPort: 0, gatewayPort: 0, dataDir: join(s.dir, "ipfs"), log: () => {} });
  indexer = await startIndexer({ rpcUrl: s.rpcUrl, manifestFile: buildSubgraph(s.deployment), dataDir: join(s.dir, "indexer"), port: 0, log: () => {} });
  const common = ["--rpc", s.rpcUrl, "--deployment", s.deploymentFile, "--issuer", s.issuer.url];
  const register = async (i: number, facts: string[]) => {
    const r = await kraken(["register", ...facts, "--out", join(s.dir, `credential-${i}.json`), ...common], { PRIVATE_KEY: s.clients(i).privateKey });
    expect(r.code, r.stderr + r.stdout).toBe(0);
  };
  await register(A, ["--category", "individual", "--country", "IT"]);
  await register(B, ["--category", "individual", "--country", "ES"]);
  await register(OUTSIDER, ["--category", "individual", "--country", "FR"]);
  await register(CONSUMER, ["--category", "organisation", "--organisation-type", "research-university", "--country", "NL", "--legal-name", "Uni", "--registration-number", "NL1"]);
}, 120_000);

afterAll(async () => {
  await indexer?.stop().catch(() => {});
  await ipfs?.stop().catch(() => {});
  await s?.stop();
});

describe("kraken union", () => {
  let union: string;
  let productId: string;
  let streamId: string;

  it("create: a union with its stream and product, off sale until --min-members join", async () => {
    const policy = join(s.dir, "policy.json");
    writeFileSync(policy, JSON.stringify({ purposes: ["research"], consumers: ["organisation"], organisationTypes: ["research-university"], jurisdictions: "target" }));
    const bad = await kraken(["union", "create", "--title", "Steps union", "--policy", policy, "--fee", "60"], env(ADMIN));
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toContain("--fee must be a percentage from 0 to 50");
    const r = await ok(["union", "create", "--title", "Steps union", "--policy", policy, "--price", "2", "--unit", "day", "--fee", "10",
      "--min-members", "2", "--join-countries", "IT,ES", "--stream-path", "/steps"], ADMIN);
    ({ union, productId, streamId } = r);
    expect(streamId).toBe(`${union.toLowerCase()}/steps`);
    const shown = await ok(["union", "show", union], A);
    expect(shown).toMatchObject({ productId, feePercent: 10, minMembers: 2, members: 0, onSale: false, join: { categories: ["individual"], countries: ["IT", "ES"], requiresApproval: false } });
    expect(shown.you).toMatchObject({ status: "None", verdict: "Eligible" });
  });

  it("join: refused with the reason for a member the join policy does not admit; admitted ones may publish", async () => {
    const refused = await kraken(["union", "join", union], env(OUTSIDER));
    expect(refused.code).toBe(EXIT.notEligible);
    expect(refused.stderr).toContain("this union does not admit members registered in FR");
    expect((await ok(["union", "join", union], A)).status).toBe("member");
    expect((await ok(["union", "join", productId], B)).status).toBe("member"); // by its product id
    const twice = await kraken(["union", "join", union], env(A));
    expect(twice.code).toBe(EXIT.conflict);
    const c = s.clients(A);
    expect(await c.publicClient.readContract({ address: s.deployment.streamRegistry!, abi: streamRegistryAbi, functionName: "hasPermission", args: [streamId, c.account.address, 2] })).toBe(true);
    expect((await ok(["union", "show", union])).onSale).toBe(true);
  });

  it("a consumer buys it with kraken buy; members withdraw; the subgraph shows members and earnings", async () => {
    const admin = s.clients(0);
    const hash = await admin.wallet.writeContract({ address: s.deployment.contracts.DataToken.address, abi: dataTokenAbi, functionName: "mint", args: [s.clients(CONSUMER).account.address, 10n * 10n ** 18n] });
    await admin.publicClient.waitForTransactionReceipt({ hash });
    await ok(["buy", productId, "--purpose", "research", "--periods", "5"], CONSUMER); // 10 DATA: 4.5 each after the 10 % fee
    const w = await ok(["union", "withdraw", union], A);
    expect(w.amountDATA).toBe("4.5 DATA");
    const none = await kraken(["union", "withdraw", union], env(A));
    expect(none.code).toBe(EXIT.usage);
    expect(none.stderr).toContain("you have no earnings to withdraw");

    await indexer.waitFor(await admin.publicClient.getBlockNumber());
    const m = await ok(["union", "members", union]);
    const byAccount = Object.fromEntries(m.members.map((x: { account: string }) => [x.account, x]));
    expect(byAccount[s.clients(A).account.address.toLowerCase()]).toMatchObject({ status: "ACTIVE", weight: 1, earned: "4500000000000000000", withdrawn: "4500000000000000000" });
    expect(byAccount[s.clients(B).account.address.toLowerCase()]).toMatchObject({ status: "ACTIVE", earned: "4500000000000000000", withdrawn: "0" });
  });

  it("leave: PUBLISH revoked, earnings kept, the union goes off sale below its minimum", async () => {
    const r = await ok(["union", "leave", union], B);
    expect(r.withdrawable).toBe("4500000000000000000");
    const c = s.clients(B);
    expect(await c.publicClient.readContract({ address: s.deployment.streamRegistry!, abi: streamRegistryAbi, functionName: "hasPermission", args: [streamId, c.account.address, 2] })).toBe(false);
    expect((await ok(["union", "show", union])).onSale).toBe(false);
    await indexer.waitFor(await c.publicClient.getBlockNumber());
    const m = await ok(["union", "members", union]);
    expect(m.members.find((x: { account: string }) => x.account === c.account.address.toLowerCase())).toMatchObject({ status: "PARTED", earned: "4500000000000000000" });
  });
});
