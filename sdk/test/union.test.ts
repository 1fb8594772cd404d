// The SDK's data union actions and reads on the real in-process chain (with Streamr's real
// StreamRegistryV5): create → members join (PUBLISH granted) → a consumer buys → earnings →
// withdraw, directly and by a signature someone else submits → part (PUBLISH revoked).
import { beforeAll, describe, expect, it } from "vitest";
import { getAddress, parseEther, type Address } from "viem";
import {
  Category,
  Country,
  createUnion,
  dataTokenAbi,
  decodeMarketError,
  joinUnion,
  MemberStatus,
  Modality,
  OrganisationType,
  partUnion,
  PricingUnit,
  Purpose,
  readMember,
  readOffer,
  readUnion,
  requestAccess,
  signWithdrawal,
  streamRegistryAbi,
  submitWithdrawal,
  TARGET_COUNTRIES,
  Verdict,
  withdrawEarnings,
  individualsIn,
  type UnionSetup,
} from "@kraken/sdk";
import { marketplaceFixture } from "../../test/helpers/marketplace.ts";

type Fixture = Awaited<ReturnType<typeof marketplaceFixture>>;
type Wallet = Fixture["admin"];

const setup = (minMembers: number): UnionSetup => ({
  feeBps: 1_000,
  minMembers,
  join: individualsIn([Country.IT, Country.ES, Country.PT]),
  streamPath: "/wearables",
  modality: Modality.Encrypted,
  price: parseEther("3"),
  pricingUnit: PricingUnit.Day,
  description: { metadataURI: "ipfs://bafkreiunion", title: "Wearables union", summary: "s", category: "Wellbeing", tags: ["union"] },
  policy: {
    purposes: [Purpose.Research],
    consumerCategories: [Category.Organisation],
    organisationTypes: [OrganisationType.ResearchUniversity],
    jurisdictions: TARGET_COUNTRIES,
    requiresApproval: false,
    retentionDays: 0,
  },
});

describe("SDK data union actions", () => {
  let f: Fixture;
  let admin: Wallet, a: Wallet, b: Wallet, outsider: Wallet, consumer: Wallet, relayer: Wallet;
  let union: Address;
  let streamId: string;
  let productId: bigint;

  const tx = (who: Wallet) => ({ publicClient: f.publicClient, wallet: who, account: who.account });
  const canPublish = (who: Address) =>
    f.publicClient.readContract({ address: f.addr.streamRegistry, abi: streamRegistryAbi, functionName: "hasPermission", args: [streamId, who, 2] });

  beforeAll(async () => {
    f = await marketplaceFixture();
    [admin, a, b, outsider, consumer, relayer] = f.wallets.slice(14, 20);
    await (await f.register(a, { category: Category.Individual, country: Country.IT })).send();
    await (await f.register(b, { category: Category.Individual, country: Country.PT })).send();
    await (await f.register(outsider, { category: Category.Individual, country: Country.FR })).send();
    await (await f.register(consumer, { category: Category.Organisation, organisationType: OrganisationType.ResearchUniversity, country: Country.SE })).send();
    const created = await createUnion({ ...tx(admin), factory: f.addr.unionFactory, setup: setup(2) });
    ({ union, streamId, productId } = created);
  });

  it("createUnion: the union sells its product, owns its stream, and is off sale until minMembers join", async () => {
    expect(streamId).toBe(`${union.toLowerCase()}/wearables`);
    const u = await readUnion(f.publicClient, union);
    expect(u).toMatchObject({ admin: getAddress(admin.account.address), productId, feeBps: 1_000, minMembers: 2, listed: true, onSale: false, memberCount: 0n });
    const offer = await readOffer(f.publicClient, f.addr, productId);
    expect([offer.seller, offer.active]).toEqual([union, false]);
  });

  it("joinUnion: members join with their credential and may publish; a refusal is decoded", async () => {
    const refused = await joinUnion({ ...tx(outsider), union }).catch((e: unknown) => e);
    expect(decodeMarketError(refused)).toMatchObject({ kind: "not-eligible", name: "JurisdictionNotAllowed", verdict: Verdict.JurisdictionNotAllowed });
    expect((await readMember(f.publicClient, union, outsider.account.address)).joinVerdict).toBe(Verdict.JurisdictionNotAllowed);

    expect((await joinUnion({ ...tx(a), union })).status).toBe("member");
    expect((await joinUnion({ ...tx(b), union })).status).toBe("member");
    expect(await canPublish(a.account.address)).toBe(true);
    const again = await joinUnion({ ...tx(a), union }).catch((e: unknown) => e);
    expect(decodeMarketError(again)).toMatchObject({ kind: "conflict", name: "WrongMemberStatus" });
    expect((await readUnion(f.publicClient, union)).onSale).toBe(true);
  });

  it("a purchase pays the union; members' earnings; withdraw and a signed withdrawal submitted by someone else", async () => {
    await f.tx(f.admin.writeContract({ address: f.addr.token, abi: dataTokenAbi, functionName: "mint", args: [consumer.account.address, parseEther("30")] }));
    const offer = await readOffer(f.publicClient, f.addr, productId);
    await requestAccess({ ...tx(consumer), contracts: f.addr, productId, purpose: Purpose.Research, periods: 10, offer, method: "approve" });
    const subscribe = await f.publicClient.readContract({ address: f.addr.streamRegistry, abi: streamRegistryAbi, functionName: "hasPermission", args: [streamId, consumer.account.address, 3] });
    expect(subscribe).toBe(true);
    // 30 DATA, 10 % fee: 13.5 each
    const each = parseEther("13.5");
    expect((await readMember(f.publicClient, union, a.account.address)).withdrawable).toBe(each);
    const w = await withdrawEarnings({ ...tx(a), union });
    expect(w.amount).toBe(each);
    expect(await f.balanceOf(a.account.address)).toBe(each);

    const deadline = BigInt(Math.floor(Date.now() / 1000) + 3600);
    const signed = await signWithdrawal({ ...tx(b), union, to: outsider.account.address, deadline });
    const paid = await submitWithdrawal({ ...tx(relayer), union, signed });
    expect(paid.amount).toBe(each);
    expect(await f.balanceOf(outsider.account.address)).toBe(each);
    const replay = await submitWithdrawal({ ...tx(relayer), union, signed }).catch((e: unknown) => e);
    expect(decodeMarketError(replay).name).toBe("InvalidSignature");
  });

  it("partUnion: PUBLISH revoked in the same transaction, earnings stay, the union goes off sale below minMembers", async () => {
    await partUnion({ ...tx(b), union });
    expect(await canPublish(b.account.address)).toBe(false);
    const m = await readMember(f.publicClient, union, b.account.address);
    expect([m.status, m.earnings]).toEqual([MemberStatus.Parted, parseEther("13.5")]);
    expect((await readUnion(f.publicClient, union)).onSale).toBe(false);
  });
});
