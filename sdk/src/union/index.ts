// Data unions as every client reads them (the actions that change them are in ../actions/union.ts):
// the setup a creator chooses in domain terms, the union and a member read from the chain, the
// subgraph's field lists and rows, and a member's earnings now from a subgraph row.
import type { Address, PublicClient } from "viem";
import { dataUnionAbi } from "../generated/abis.ts";
import { Category, MemberStatus, type Country, type Modality, type OrganisationType, type PricingUnit, type Verdict } from "../generated/enums.ts";
import { toMask, type Policy } from "../policy.ts";

/** A union goes on sale with at least this many members unless its creator chooses otherwise. */
export const DEFAULT_MIN_MEMBERS = 5;
/** DataUnion.MAX_FEE_BPS, FEE_NOTICE and MAX_WEIGHT. */
export const MAX_FEE_BPS = 5_000;
export const FEE_NOTICE_SECONDS = 7 * 86_400;
export const MAX_WEIGHT = 1_000;

/** Who may join, in domain terms (`toJoinPolicyArgs` makes the contract's bitmasks). */
export interface JoinPolicy {
  categories: Category[];
  organisationTypes: OrganisationType[]; // empty unless organisations may join
  jurisdictions: Country[];
  requiresApproval: boolean;
}

/** What a creator chooses; the union's product and consent policy are created with it. */
export interface UnionSetup {
  feeBps: number;
  minMembers?: number; // DEFAULT_MIN_MEMBERS
  join: JoinPolicy;
  /** the union's stream is `<union address><streamPath>`; "/data" by default */
  streamPath?: string;
  modality: Modality;
  price: bigint;
  pricingUnit: PricingUnit;
  description: { metadataURI: string; title: string; summary: string; category: string; tags: string[] };
  /** consent for consumers of the union's data */
  policy: Policy;
}

export function toJoinPolicyArgs(p: JoinPolicy) {
  return {
    categories: Number(toMask(p.categories)),
    organisationTypes: Number(toMask(p.organisationTypes)),
    jurisdictions: toMask(p.jurisdictions),
    requiresApproval: p.requiresApproval,
  };
}

/** DataUnionFactory.create's argument. */
export function toUnionSetupArgs(s: UnionSetup) {
  const p = s.policy;
  return {
    feeBps: s.feeBps,
    minMembers: s.minMembers ?? DEFAULT_MIN_MEMBERS,
    joinPolicy: toJoinPolicyArgs(s.join),
    streamPath: s.streamPath ?? "/data",
    modality: s.modality,
    price: s.price,
    pricingUnit: s.pricingUnit,
    description: s.description,
    policy: {
      version: 0,
      purposes: Number(toMask(p.purposes)),
      consumerCategories: Number(toMask(p.consumerCategories)),
      organisationTypes: Number(toMask(p.organisationTypes)),
      jurisdictions: toMask(p.jurisdictions),
      requiresApproval: p.requiresApproval,
      retentionDays: p.retentionDays,
      updatedAt: 0,
    },
  } as const;
}

/** A union as the chain holds it now. */
export interface UnionState {
  address: Address;
  admin: Address;
  productId: bigint;
  streamId: string;
  feeBps: number;
  /** a scheduled fee change, or null */
  feeChange: { feeBps: number; effectiveAt: bigint } | null;
  minMembers: number;
  listed: boolean;
  /** listed and big enough: consumers can buy it */
  onSale: boolean;
  memberCount: bigint;
  totalWeight: bigint;
  totalRevenue: bigint;
  unsettledRevenue: bigint;
  feesAccrued: bigint;
  feesWithdrawn: bigint;
  dust: bigint;
  joinPolicy: { categories: number; organisationTypes: number; jurisdictions: bigint; requiresApproval: boolean };
}

type Reader = Pick<PublicClient, "readContract">;

export async function readUnion(client: Reader, union: Address): Promise<UnionState> {
  const read = <T>(functionName: string, args: readonly unknown[] = []) =>
    client.readContract({ address: union, abi: dataUnionAbi, functionName, args } as Parameters<Reader["readContract"]>[0]) as Promise<T>;
  const [admin, productId, streamId, feeBps, pendingFeeBps, feeEffectiveAt, minMembers, listed, memberCount, totalWeight, totalRevenue, unsettledRevenue, feesAccrued, feesWithdrawn, dust, join] =
    await Promise.all([
      read<Address>("admin"), read<bigint>("productId"), read<string>("streamId"), read<number>("feeBps"), read<number>("pendingFeeBps"),
      read<number>("feeEffectiveAt"), read<number>("minMembers"), read<boolean>("listed"), read<bigint>("memberCount"), read<bigint>("totalWeight"),
      read<bigint>("totalRevenue"), read<bigint>("unsettledRevenue"), read<bigint>("feesAccrued"), read<bigint>("feesWithdrawn"), read<bigint>("dust"),
      read<readonly [number, number, bigint, boolean]>("joinPolicy"),
    ]);
  return {
    address: union, admin, productId, streamId, feeBps,
    feeChange: feeEffectiveAt ? { feeBps: pendingFeeBps, effectiveAt: BigInt(feeEffectiveAt) } : null,
    minMembers, listed, onSale: listed && memberCount >= BigInt(minMembers),
    memberCount, totalWeight, totalRevenue, unsettledRevenue, feesAccrued, feesWithdrawn, dust,
    joinPolicy: { categories: join[0], organisationTypes: join[1], jurisdictions: join[2], requiresApproval: join[3] },
  };
}

/** One account's membership as the chain holds it now, with what it can withdraw and whether it may join. */
export interface MemberState {
  status: MemberStatus;
  weight: number;
  joinedAt: number;
  leftAt: number;
  earnings: bigint; // withdrawn included, unsettled revenue included
  withdrawn: bigint;
  withdrawable: bigint;
  joinVerdict: Verdict;
}

export async function readMember(client: Reader, union: Address, account: Address): Promise<MemberState> {
  const read = <T>(functionName: string) =>
    client.readContract({ address: union, abi: dataUnionAbi, functionName, args: [account] } as Parameters<Reader["readContract"]>[0]) as Promise<T>;
  const [m, earnings, withdrawable, verdict] = await Promise.all([
    read<{ status: number; weight: number; joinedAt: number; leftAt: number; withdrawn: bigint }>("memberOf"),
    read<bigint>("earningsOf"), read<bigint>("withdrawable"), read<number>("joinVerdict"),
  ]);
  return {
    status: m.status as MemberStatus, weight: m.weight, joinedAt: m.joinedAt, leftAt: m.leftAt,
    earnings, withdrawn: m.withdrawn, withdrawable, joinVerdict: verdict as Verdict,
  };
}

export const isMember = (m: Pick<MemberState, "status">) => m.status === MemberStatus.Active;

// --- subgraph ---

/** The DataUnion fields the union page, the dashboards and the CLI read. */
export const UNION_FIELDS = `id streamId feeBps pendingFeeBps feeEffectiveAt minMembers listed joinCategories joinOrganisationTypes
  joinJurisdictions joinRequiresApproval memberCount totalWeight revenue fees feesWithdrawn dust revenuePerWeight joins parts removals createdAt
  admin { id } product { id title price pricingUnit active salesCount }`;

export const UNION_MEMBER_FIELDS = `id status active weight joinedAt partedAt removalReason earnings revenuePerWeightPaid withdrawn account { id }`;

export interface GraphUnion {
  id: string;
  streamId: string;
  feeBps: number;
  pendingFeeBps: number | null;
  feeEffectiveAt: string | null;
  minMembers: number;
  listed: boolean;
  joinCategories: string[];
  joinOrganisationTypes: string[];
  joinJurisdictions: string[];
  joinRequiresApproval: boolean;
  memberCount: number;
  totalWeight: string;
  revenue: string;
  fees: string;
  feesWithdrawn: string;
  dust: string;
  revenuePerWeight: string;
  joins: number;
  parts: number;
  removals: number;
  createdAt: string;
  admin: { id: string };
  product: { id: string; title: string; price: string; pricingUnit: string; active: boolean; salesCount: number } | null;
}

export interface GraphUnionMember {
  id: string;
  status: "NONE" | "PENDING" | "ACTIVE" | "PARTED" | "REMOVED";
  active: boolean;
  weight: number;
  joinedAt: string | null;
  partedAt: string | null;
  removalReason: string | null;
  earnings: string;
  revenuePerWeightPaid: string;
  withdrawn: string;
  account: { id: string };
}

/** A member's earnings (withdrawn included) as of the union's last indexed settlement. */
export function memberEarnings(member: Pick<GraphUnionMember, "earnings" | "weight" | "revenuePerWeightPaid">, union: Pick<GraphUnion, "revenuePerWeight">): bigint {
  return BigInt(member.earnings) + BigInt(member.weight) * (BigInt(union.revenuePerWeight) - BigInt(member.revenuePerWeightPaid));
}

/** The individuals-only join policy the demo and the CLI default to. */
export const individualsIn = (jurisdictions: Country[], requiresApproval = false): JoinPolicy => ({
  categories: [Category.Individual],
  organisationTypes: [],
  jurisdictions,
  requiresApproval,
});
