// The SDK's marketplace actions (requestAccess, renew, terminate) on the real in-process chain:
// the flows the CLI's buy/terminate and the dApp's purchase/terminate hooks both run.
import { beforeAll, describe, expect, it } from "vitest";
import { getAddress, parseEther, type Address } from "viem";
import {
  AgreementStatus,
  BalanceTooLowError,
  catalogueAbi,
  Category,
  Country,
  dataTokenAbi,
  decodeMarketError,
  gasWithHeadroom,
  OrganisationType,
  PricingUnit,
  ProductType,
  Purpose,
  readOffer,
  renew,
  requestAccess,
  terminate,
  TARGET_COUNTRIES,
  type ActionStep,
  type Policy,
  type ProgressDetail,
} from "@kraken/sdk";
import { marketplaceFixture } from "../../test/helpers/marketplace.ts";

type Fixture = Awaited<ReturnType<typeof marketplaceFixture>>;
type Wallet = Fixture["admin"];

const policy: Policy = {
  purposes: [Purpose.Research],
  consumerCategories: [Category.Individual, Category.Organisation],
  organisationTypes: [OrganisationType.ResearchUniversity, OrganisationType.Hospital],
  jurisdictions: TARGET_COUNTRIES,
  requiresApproval: false,
  retentionDays: 365,
};

describe("SDK marketplace actions", () => {
  let f: Fixture;
  let seller: Wallet, consumer: Wallet, other: Wallet;

  beforeAll(async () => {
    f = await marketplaceFixture();
    [seller, consumer, other] = [f.wallets[7], f.wallets[8], f.wallets[9]];
    await (await f.register(seller, { category: Category.Organisation, organisationType: OrganisationType.Hospital, country: Country.IT })).send();
    await (await f.register(consumer, { category: Category.Organisation, organisationType: OrganisationType.ResearchUniversity, country: Country.SE })).send();
    await (await f.register(other, { category: Category.Individual, country: Country.PT })).send();
  });

  const mint = (who: Address, amount: bigint) => f.tx(f.admin.writeContract({ address: f.addr.token, abi: dataTokenAbi, functionName: "mint", args: [who, amount] }));
  const allowance = (who: Address) => f.publicClient.readContract({ address: f.addr.token, abi: dataTokenAbi, functionName: "allowance", args: [who, f.addr.agreements] });
  /** The clients an action takes, for `who`, and the progress it reports. */
  function clients(who: Wallet) {
    const steps: [ActionStep, ProgressDetail][] = [];
    return { steps, c: { publicClient: f.publicClient, wallet: who, account: who.account, contracts: f.addr, onProgress: (s: ActionStep, d: ProgressDetail) => steps.push([s, d]) } };
  }
  const names = (steps: [ActionStep, ProgressDetail][]) => steps.map(([s, d]) => (d.tx ? `${s}:${d.tx}` : s));

  it("requestAccess, approve path: approves exactly the price when the allowance is short, then requests; the agreement is read from AgreementCreated", async () => {
    const id = await f.publish(seller, { price: parseEther("25") });
    await f.setPolicy(seller, id, policy);
    const offer = await readOffer(f.publicClient, f.addr, id);

    // Too little DATA: refused before anything is signed.
    const poor = clients(consumer);
    const refused = await requestAccess({ ...poor.c, productId: id, purpose: Purpose.Research, periods: 1, offer, method: "approve" }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BalanceTooLowError);
    expect([(refused as BalanceTooLowError).balance, (refused as BalanceTooLowError).needed]).toEqual([0n, parseEther("25")]);
    expect(poor.steps).toEqual([]);

    await mint(consumer.account.address, parseEther("25"));
    const { steps, c } = clients(consumer);
    const r = await requestAccess({ ...c, productId: id, purpose: Purpose.Research, periods: 1, offer, method: "approve" });
    expect(names(steps)).toEqual([
      "allowance", "approve:approve", "simulate:approve", "confirm:approve", "submit:approve", "mined:approve",
      "simulate:requestAccess", "confirm:requestAccess", "submit:requestAccess", "mined:requestAccess",
    ]);
    expect(steps[0][1]).toEqual({ amount: parseEther("25"), enough: false });
    expect(steps[1][1].amount).toBe(parseEther("25"));
    expect(steps.at(-1)![1].blockNumber).toBe(r.receipt.blockNumber);
    expect(r).toMatchObject({ status: AgreementStatus.Active, amount: parseEther("25"), endsAt: 0, policyVersion: offer.policyVersion, seller: getAddress(seller.account.address) });
    const a = await f.agreement(r.agreementId);
    expect([a.consumer, a.productId, a.amount]).toEqual([getAddress(consumer.account.address), id, parseEther("25")]);
    expect(await f.balanceOf(consumer.account.address)).toBe(0n);
  });

  it("requestAccess, permit path: one transaction with a signed EIP-2612 permit, no approve", async () => {
    const id = await f.publish(seller, { productType: ProductType.Stream, unit: PricingUnit.Week, price: parseEther("3"), agents: [], threshold: 0 });
    await f.setPolicy(seller, id, policy);
    await mint(other.account.address, parseEther("6"));
    const offer = await readOffer(f.publicClient, f.addr, id);
    const { steps, c } = clients(other);
    const r = await requestAccess({ ...c, productId: id, purpose: Purpose.Research, periods: 2, offer, method: "permit" });
    expect(names(steps)).toEqual(["sign", "signed", "simulate:requestAccessWithPermit", "confirm:requestAccessWithPermit", "submit:requestAccessWithPermit", "mined:requestAccessWithPermit"]);
    expect(steps[0][1].amount).toBe(parseEther("6"));
    expect(steps[0][1].deadline).toBeGreaterThan(BigInt(await f.networkHelpers.time.latest()));
    expect(r.status).toBe(AgreementStatus.Active);
    expect(r.amount).toBe(parseEther("6"));
    expect(r.endsAt - r.startsAt).toBe(2 * 7 * 86_400);
    expect(await f.balanceOf(other.account.address)).toBe(0n);
    expect(await allowance(other.account.address)).toBe(0n);
  });

  it("requestAccess pins the terms shown: a unit changed in between is refused in the simulation (PricingUnitChanged via decodeMarketError), nothing sent", async () => {
    const id = await f.publish(seller, { productType: ProductType.Stream, unit: PricingUnit.Day, price: parseEther("3"), agents: [], threshold: 0 });
    await f.setPolicy(seller, id, policy);
    await f.fund(consumer, parseEther("6"));
    const offer = await readOffer(f.publicClient, f.addr, id); // what the consumer was shown
    await f.tx(seller.writeContract({ address: f.addr.catalogue, abi: catalogueAbi, functionName: "setPrice", args: [id, parseEther("3"), PricingUnit.Hour] }));
    const { steps, c } = clients(consumer);
    const err = await requestAccess({ ...c, productId: id, purpose: Purpose.Research, periods: 2, offer, method: "approve" }).then(() => undefined, (e: unknown) => e);
    const decoded = decodeMarketError(err);
    expect(decoded).toMatchObject({ kind: "terms-changed", name: "PricingUnitChanged" });
    expect(decoded.args.slice(1)).toEqual([PricingUnit.Day, PricingUnit.Hour]);
    expect(names(steps)).toEqual(["allowance", "simulate:requestAccess"]); // the wallet was never asked
    expect(await f.balanceOf(consumer.account.address)).toBe(parseEther("6"));
  });

  it("renew approves the shortfall and extends the subscription by the periods bought", async () => {
    const id = await f.publish(seller, { productType: ProductType.Stream, unit: PricingUnit.Day, price: parseEther("2"), agents: [], threshold: 0 });
    await f.setPolicy(seller, id, policy);
    await mint(other.account.address, parseEther("10"));
    const offer = await readOffer(f.publicClient, f.addr, id);
    const bought = await requestAccess({ ...clients(other).c, productId: id, purpose: Purpose.Research, periods: 3, offer, method: "approve" });
    const { steps, c } = clients(other);
    const r = await renew({ ...c, agreementId: bought.agreementId, periods: 2, offer });
    expect(names(steps)).toEqual(["allowance", "approve:approve", "simulate:approve", "confirm:approve", "submit:approve", "mined:approve", "simulate:renew", "confirm:renew", "submit:renew", "mined:renew"]);
    expect(r.amount).toBe(parseEther("4"));
    expect(r.endsAt).toBe(bought.endsAt + 2 * 86_400);
    expect((await f.agreement(bought.agreementId)).endsAt).toBe(r.endsAt);
  });

  it("terminate approves exactly the refund when the seller's allowance is short, then terminates; the refund comes from AgreementTerminated", async () => {
    const id = await f.publish(seller, { price: parseEther("40") });
    await f.setPolicy(seller, id, policy);
    await mint(other.account.address, parseEther("40"));
    const bought = await requestAccess({ ...clients(other).c, productId: id, purpose: Purpose.Research, periods: 1, offer: await readOffer(f.publicClient, f.addr, id), method: "approve" });
    const consumerBefore = await f.balanceOf(other.account.address);
    expect(await allowance(seller.account.address)).toBe(0n);

    const { steps, c } = clients(seller);
    const r = await terminate({ ...c, agreementId: bought.agreementId });
    expect(names(steps)).toEqual([
      "simulate:terminate", "allowance", "approve:approve", "simulate:approve", "confirm:approve", "submit:approve", "mined:approve",
      "simulate:terminate", "confirm:terminate", "submit:terminate", "mined:terminate",
    ]);
    expect(steps[1][1]).toEqual({ amount: parseEther("40"), enough: false });
    expect(r.approved).toBe(parseEther("40")); // a one-time product not delivered: everything back
    expect(r.refunded).toBe(parseEther("40"));
    expect(await f.balanceOf(other.account.address)).toBe(consumerBefore + parseEther("40"));
    expect((await f.agreement(bought.agreementId)).status).toBe(AgreementStatus.Terminated);

    // With the allowance in place, no approval is asked for.
    const again = await requestAccess({ ...clients(other).c, productId: id, purpose: Purpose.Research, periods: 1, offer: await readOffer(f.publicClient, f.addr, id), method: "approve" });
    await f.tx(seller.writeContract({ address: f.addr.token, abi: dataTokenAbi, functionName: "approve", args: [f.addr.agreements, parseEther("40")] }));
    const second = clients(seller);
    const r2 = await terminate({ ...second.c, agreementId: again.agreementId });
    expect(names(second.steps)).toEqual(["simulate:terminate", "allowance", "confirm:terminate", "submit:terminate", "mined:terminate"]);
    expect([r2.approved, r2.refunded]).toEqual([null, parseEther("40")]);
  });
  it("a purchase mined right after another transaction changed its storage costs still goes through (gas sent with headroom over the estimate)", async () => {
    // The seller holds DATA when the purchase is estimated, and empties its balance in the
    // transaction mined just before it: paying the seller then writes a zero slot (20,000 gas,
    // not 2,900), which an exact estimate would not cover.
    const id = await f.publish(seller, { productType: ProductType.Stream, unit: PricingUnit.Day, price: parseEther("2"), agents: [], threshold: 0 });
    await f.setPolicy(seller, id, policy);
    await mint(seller.account.address, parseEther("1"));
    await f.fund(consumer, parseEther("2"));
    const offer = await readOffer(f.publicClient, f.addr, id);
    const { c } = clients(consumer);
    const sink = f.wallets[6].account.address;
    const wallet = {
      ...consumer,
      writeContract: async (request: Parameters<Wallet["writeContract"]>[0]) => {
        await f.tx(seller.writeContract({ address: f.addr.token, abi: dataTokenAbi, functionName: "transfer", args: [sink, await f.balanceOf(seller.account.address)] }));
        return consumer.writeContract(request);
      },
    } as Wallet;
    const r = await requestAccess({ ...c, wallet, productId: id, purpose: Purpose.Research, periods: 1, offer, method: "approve" });
    expect(r.status).toBe(AgreementStatus.Active);
    expect(await f.balanceOf(seller.account.address)).toBe(parseEther("2"));
    const sent = await f.publicClient.getTransaction({ hash: r.receipt.transactionHash });
    expect([gasWithHeadroom(100_000n), gasWithHeadroom(400_000n)]).toEqual([130_000n, 500_000n]);
    expect(sent.gas - r.receipt.gasUsed).toBeGreaterThanOrEqual(15_000n); // still room left after the dearer write
  });
});
