// User flows across the four marketplace contracts, driven with viem the way the dApp and the
// CLI drive them: register with an attestation, publish with a policy, check eligibility, buy.
import { beforeAll, describe, expect, it } from "vitest";
import { parseEther, type Address } from "viem";
import {
  agreementsAbi,
  catalogueAbi,
  AgreementStatus,
  Category,
  Country,
  credentialsAbi,
  dataTokenAbi,
  signPermit,
  OrganisationType,
  PricingUnit,
  ProductType,
  Purpose,
  Verdict,
  policiesAbi,
  TARGET_COUNTRIES,
  type Policy,
} from "@kraken/sdk";
import { expectRevert, marketplaceFixture } from "../helpers/marketplace.ts";

type Fixture = Awaited<ReturnType<typeof marketplaceFixture>>;

const researchPolicy: Policy = {
  purposes: [Purpose.Research, Purpose.PublicHealth],
  consumerCategories: [Category.Individual, Category.Organisation],
  organisationTypes: [OrganisationType.ResearchUniversity, OrganisationType.Hospital, OrganisationType.Insurer],
  jurisdictions: TARGET_COUNTRIES,
  requiresApproval: false,
  retentionDays: 365,
};

describe("marketplace user flows", () => {
  let f: Fixture;
  let hospital: Fixture["admin"], researcher: Fixture["admin"], tomas: Fixture["admin"], insurer: Fixture["admin"];

  beforeAll(async () => {
    f = await marketplaceFixture();
    [hospital, , researcher, tomas, insurer] = f.wallets.slice(2);
    await (await f.register(hospital, { category: Category.Organisation, organisationType: OrganisationType.Hospital, country: Country.IT })).send();
    await (await f.register(researcher, { category: Category.Organisation, organisationType: OrganisationType.ResearchUniversity, country: Country.SE })).send();
    await (await f.register(tomas, { category: Category.Individual, country: Country.PT })).send();
    await (await f.register(insurer, { category: Category.Organisation, organisationType: OrganisationType.Insurer, country: Country.AT })).send();
  });

  const read = <T>(p: Promise<T>) => p;
  const eligibility = (productId: bigint, consumer: Address, purpose: Purpose) =>
    read(f.publicClient.readContract({ address: f.addr.agreements, abi: agreementsAbi, functionName: "eligibility", args: [productId, consumer, purpose] }));

  it("a researcher buys a paid batch product: the seller is paid and the agreement pins the policy version", async () => {
    const id = await f.publish(hospital, { price: parseEther("250") });
    await f.setPolicy(hospital, id, researchPolicy);
    await f.fund(researcher, parseEther("1000"));
    expect(await eligibility(id, researcher.account.address, Purpose.Research)).toBe(Verdict.Eligible);

    const sellerBefore = await f.balanceOf(hospital.account.address);
    const receipt = await f.tx(researcher.writeContract({ address: f.addr.agreements, abi: agreementsAbi, functionName: "requestAccess", args: [id, Purpose.Research, ...(await f.pins(id)), 1, parseEther("250")] }));
    const agreementId = BigInt(receipt.logs.find((l) => l.address.toLowerCase() === f.addr.agreements.toLowerCase())!.topics[1]!);
    const a = await f.agreement(agreementId);
    expect(a.status).toBe(AgreementStatus.Active);
    expect(a.policyVersion).toBe(1);
    expect(a.endsAt).toBe(0); // one-time products never expire
    expect(await f.balanceOf(hospital.account.address)).toBe(sellerBefore + parseEther("250"));

    // Buying the same one-time product twice is refused.
    await expectRevert(researcher.writeContract({ address: f.addr.agreements, abi: agreementsAbi, functionName: "requestAccess", args: [id, Purpose.Research, ...(await f.pins(id)), 1, parseEther("250")] }), "AlreadyHasAccess");
  });

  it("the eligibility view gives the same reason a request reverts with (insurer refused by purpose)", async () => {
    const id = await f.publish(hospital, { price: 0n });
    await f.setPolicy(hospital, id, researchPolicy);
    expect(await eligibility(id, insurer.account.address, Purpose.Insurance)).toBe(Verdict.PurposeNotAllowed);
    const args = await expectRevert(
      insurer.writeContract({ address: f.addr.agreements, abi: agreementsAbi, functionName: "requestAccess", args: [id, Purpose.Insurance, ...(await f.pins(id)), 1, 0n] }),
      "PurposeNotAllowed",
    );
    expect(args).toEqual([id, Purpose.Insurance]);
    // The same insurer may use it for research, which the policy allows.
    expect(await eligibility(id, insurer.account.address, Purpose.Research)).toBe(Verdict.Eligible);
    // An unregistered visitor is told to register.
    expect(await eligibility(id, f.wallets[15].account.address, Purpose.Research)).toBe(Verdict.NotRegistered);
  });

  it("a consumer pays with an EIP-2612 permit in a single transaction", async () => {
    const id = await f.publish(hospital, { price: parseEther("40") });
    await f.setPolicy(hospital, id, researchPolicy);
    await f.tx(f.admin.writeContract({ address: f.addr.token, abi: dataTokenAbi, functionName: "mint", args: [tomas.account.address, parseEther("40")] }));
    const deadline = BigInt(await f.networkHelpers.time.latest()) + 3600n;
    const { v, r, s } = await signPermit({ wallet: tomas, publicClient: f.publicClient, token: f.addr.token, owner: tomas.account, spender: f.addr.agreements, value: parseEther("40"), deadline });
    await f.tx(tomas.writeContract({ address: f.addr.agreements, abi: agreementsAbi, functionName: "requestAccessWithPermit", args: [id, Purpose.Research, ...(await f.pins(id)), 1, parseEther("40"), deadline, v, r, s] }));
    expect(await f.balanceOf(tomas.account.address)).toBe(0n);
  });

  it("manual approval holds the payment in escrow until the seller approves or rejects", async () => {
    const id = await f.publish(hospital, { price: parseEther("100") });
    await f.setPolicy(hospital, id, { ...researchPolicy, requiresApproval: true });
    await f.fund(researcher, parseEther("100"));
    const escrowBefore = await f.balanceOf(f.addr.agreements);
    const receipt = await f.tx(researcher.writeContract({ address: f.addr.agreements, abi: agreementsAbi, functionName: "requestAccess", args: [id, Purpose.Research, ...(await f.pins(id)), 1, parseEther("100")] }));
    const agreementId = BigInt(receipt.logs.find((l) => l.address.toLowerCase() === f.addr.agreements.toLowerCase())!.topics[1]!);
    expect((await f.agreement(agreementId)).status).toBe(AgreementStatus.Pending);
    expect(await f.balanceOf(f.addr.agreements)).toBe(escrowBefore + parseEther("100"));

    // Only the seller decides; the consumer cannot approve their own request.
    await expectRevert(researcher.writeContract({ address: f.addr.agreements, abi: agreementsAbi, functionName: "approve", args: [agreementId] }), "NotSeller");
    const sellerBefore = await f.balanceOf(hospital.account.address);
    await f.tx(hospital.writeContract({ address: f.addr.agreements, abi: agreementsAbi, functionName: "approve", args: [agreementId] }));
    expect((await f.agreement(agreementId)).status).toBe(AgreementStatus.Active);
    expect(await f.balanceOf(hospital.account.address)).toBe(sellerBefore + parseEther("100"));
    expect(await f.balanceOf(f.addr.agreements)).toBe(escrowBefore);

    // A second product: the seller rejects and the consumer is refunded in full.
    const id2 = await f.publish(hospital, { price: parseEther("30") });
    await f.setPolicy(hospital, id2, { ...researchPolicy, requiresApproval: true });
    await f.fund(researcher, parseEther("30"));
    const consumerBefore = await f.balanceOf(researcher.account.address);
    const r2 = await f.tx(researcher.writeContract({ address: f.addr.agreements, abi: agreementsAbi, functionName: "requestAccess", args: [id2, Purpose.Research, ...(await f.pins(id2)), 1, parseEther("30")] }));
    const a2 = BigInt(r2.logs.find((l) => l.address.toLowerCase() === f.addr.agreements.toLowerCase())!.topics[1]!);
    await f.tx(hospital.writeContract({ address: f.addr.agreements, abi: agreementsAbi, functionName: "reject", args: [a2] }));
    expect((await f.agreement(a2)).status).toBe(AgreementStatus.Rejected);
    expect(await f.balanceOf(researcher.account.address)).toBe(consumerBefore);
  });

  it("a stream subscription ends after its periods, and renewal extends from the later of now and the end", async () => {
    const id = await f.publish(hospital, { productType: ProductType.Stream, unit: PricingUnit.Hour, price: parseEther("2"), agents: [], threshold: 0 });
    await f.setPolicy(hospital, id, researchPolicy);
    await f.fund(researcher, parseEther("100"));
    const receipt = await f.tx(researcher.writeContract({ address: f.addr.agreements, abi: agreementsAbi, functionName: "requestAccess", args: [id, Purpose.Research, ...(await f.pins(id)), 24, parseEther("48")] }));
    const agreementId = BigInt(receipt.logs.find((l) => l.address.toLowerCase() === f.addr.agreements.toLowerCase())!.topics[1]!);
    const a = await f.agreement(agreementId);
    expect(a.endsAt - a.startsAt).toBe(24 * 3600);

    // Renewing early extends from the current end.
    await f.tx(researcher.writeContract({ address: f.addr.agreements, abi: agreementsAbi, functionName: "renew", args: [agreementId, ...(await f.pins(id)), 1, parseEther("2")] }));
    expect((await f.agreement(agreementId)).endsAt).toBe(a.endsAt + 3600);

    // After expiry it is no longer active; renewing then extends from now.
    await f.networkHelpers.time.increase(26 * 3600);
    const isActive = () => f.publicClient.readContract({ address: f.addr.agreements, abi: agreementsAbi, functionName: "isActive", args: [agreementId] });
    expect(await isActive()).toBe(false);
    await f.tx(researcher.writeContract({ address: f.addr.agreements, abi: agreementsAbi, functionName: "renew", args: [agreementId, ...(await f.pins(id)), 2, parseEther("4")] }));
    const now = await f.networkHelpers.time.latest();
    expect((await f.agreement(agreementId)).endsAt).toBe(now + 2 * 3600);
    expect(await isActive()).toBe(true);

    // A price rise above what the consumer accepts is refused.
    await expectRevert(researcher.writeContract({ address: f.addr.agreements, abi: agreementsAbi, functionName: "renew", args: [agreementId, ...(await f.pins(id)), 1, parseEther("1")] }), "PriceAboveMax");
  });

  it("retracting consent for a consumer refuses their future requests but keeps their agreement", async () => {
    const id = await f.publish(hospital, { productType: ProductType.Stream, unit: PricingUnit.Day, price: 0n, agents: [], threshold: 0 });
    await f.setPolicy(hospital, id, researchPolicy);
    const receipt = await f.tx(tomas.writeContract({ address: f.addr.agreements, abi: agreementsAbi, functionName: "requestAccess", args: [id, Purpose.Research, ...(await f.pins(id)), 3, 0n] }));
    const agreementId = BigInt(receipt.logs.find((l) => l.address.toLowerCase() === f.addr.agreements.toLowerCase())!.topics[1]!);

    await f.tx(hospital.writeContract({ address: f.addr.policies, abi: policiesAbi, functionName: "retractConsent", args: [id, tomas.account.address] }));
    await expectRevert(tomas.writeContract({ address: f.addr.agreements, abi: agreementsAbi, functionName: "renew", args: [agreementId, ...(await f.pins(id)), 1, 0n] }), "ConsentRetracted");
    // A new policy version does not touch the existing agreement either.
    await f.setPolicy(hospital, id, { ...researchPolicy, purposes: [Purpose.PublicHealth] });
    const a = await f.agreement(agreementId);
    expect(a.status).toBe(AgreementStatus.Active);
    expect(a.policyVersion).toBe(1);
    expect(await eligibility(id, tomas.account.address, Purpose.PublicHealth)).toBe(Verdict.ConsentRetracted);

    // Restored consent lets them renew again (under the new version's purposes).
    await f.tx(hospital.writeContract({ address: f.addr.policies, abi: policiesAbi, functionName: "restoreConsent", args: [id, tomas.account.address] }));
    await expectRevert(tomas.writeContract({ address: f.addr.agreements, abi: agreementsAbi, functionName: "renew", args: [agreementId, ...(await f.pins(id)), 1, 0n] }), "PurposeNotAllowed");
  });

  it("a seller terminating a subscription refunds the unused days in the same transaction; the consumer's view follows", async () => {
    const id = await f.publish(hospital, { productType: ProductType.Stream, unit: PricingUnit.Day, price: parseEther("3"), agents: [], threshold: 0 });
    await f.setPolicy(hospital, id, researchPolicy);
    await f.fund(researcher, parseEther("30"));
    const receipt = await f.tx(researcher.writeContract({ address: f.addr.agreements, abi: agreementsAbi, functionName: "requestAccess", args: [id, Purpose.Research, ...(await f.pins(id)), 10, parseEther("30")] }));
    const agreementId = BigInt(receipt.logs.find((l) => l.address.toLowerCase() === f.addr.agreements.toLowerCase())!.topics[1]!);
    const before = await f.balanceOf(researcher.account.address);
    await f.tx(hospital.writeContract({ address: f.addr.token, abi: dataTokenAbi, functionName: "approve", args: [f.addr.agreements, parseEther("30")] }));
    await f.networkHelpers.time.setNextBlockTimestamp((await f.agreement(agreementId)).startsAt + 4 * 86_400); // 4 days in
    await f.tx(hospital.writeContract({ address: f.addr.agreements, abi: agreementsAbi, functionName: "terminate", args: [agreementId] }));
    expect(await f.balanceOf(researcher.account.address) - before).toBe(parseEther("18")); // 6 of 10 days
    const a = await f.agreement(agreementId);
    expect(a.status).toBe(AgreementStatus.Terminated);
    expect(a.amount).toBe(parseEther("12"));
    expect(await f.publicClient.readContract({ address: f.addr.agreements, abi: agreementsAbi, functionName: "isActive", args: [agreementId] })).toBe(false);
    // a front-run unit change cannot turn the consumer's days into hours
    await f.tx(hospital.writeContract({ address: f.addr.catalogue, abi: catalogueAbi, functionName: "setPrice", args: [id, parseEther("3"), PricingUnit.Hour] }));
    await expectRevert(researcher.writeContract({ address: f.addr.agreements, abi: agreementsAbi, functionName: "requestAccess", args: [id, Purpose.Research, 1, PricingUnit.Day, 2, parseEther("6")] }), "PricingUnitChanged");
  });

  it("registration refuses replayed, expired, wrong-chain and untrusted attestations", async () => {
    const who = f.wallets[16];
    const ok = await f.register(who, { category: Category.Individual, country: Country.FR });
    await ok.send();
    await expectRevert(who.writeContract({ address: f.addr.credentials, abi: credentialsAbi, functionName: "register", args: [ok.att, ok.signature] }), "AttestationReplayed");
    const now = BigInt(await f.networkHelpers.time.latest());
    const expired = await f.register(who, { category: Category.Individual, country: Country.FR }, { issuedAt: now - 100n, expiresAt: now - 1n });
    await expectRevert(expired.send(), "AttestationExpired");
    const wrongChain = await f.register(who, { category: Category.Individual, country: Country.FR }, { chainId: 1n });
    await expectRevert(wrongChain.send(), "WrongChain");
    const forged = await f.register(who, { category: Category.Individual, country: Country.FR }, { signer: f.wallets[17] });
    await expectRevert(forged.send(), "InvalidSignature");
  });

  it("only a product's delivery agents record delivery receipts, on active agreements", async () => {
    const id = await f.publish(hospital, { price: 0n });
    await f.setPolicy(hospital, id, researchPolicy);
    const receipt = await f.tx(tomas.writeContract({ address: f.addr.agreements, abi: agreementsAbi, functionName: "requestAccess", args: [id, Purpose.Research, ...(await f.pins(id)), 1, 0n] }));
    const agreementId = BigInt(receipt.logs.find((l) => l.address.toLowerCase() === f.addr.agreements.toLowerCase())!.topics[1]!);
    const relay = f.wallets[11];
    const hash = `0x${"ab".repeat(32)}` as const;
    await f.tx(relay.writeContract({ address: f.addr.agreements, abi: agreementsAbi, functionName: "recordDelivery", args: [agreementId, hash] }));
    expect(await f.publicClient.readContract({ address: f.addr.agreements, abi: agreementsAbi, functionName: "deliveryOf", args: [agreementId, relay.account.address] })).toBe(hash);
    await expectRevert(tomas.writeContract({ address: f.addr.agreements, abi: agreementsAbi, functionName: "recordDelivery", args: [agreementId, hash] }), "NotDeliveryAgent");
  });
});
