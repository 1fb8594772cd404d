// The subgraph queries of the union pages and the chart points they make: a member's earnings
// over time (UnionRevenue: weight × the increase of revenuePerWeight since the join) and the
// union's joins and parts over time (UnionMembershipChange). Pure functions.
import { UNION_FIELDS, UNION_MEMBER_FIELDS, type GraphUnion, type GraphUnionMember } from "@kraken/sdk";
import type { Amount } from "../../components/TimeChart.tsx";

export interface UnionRevenuePoint {
  revenuePerWeight: string;
  timestamp: string;
  amount: string;
}

export interface MembershipChangePoint {
  status: "ACTIVE" | "PARTED" | "REMOVED" | string;
  timestamp: string;
  memberCount: number;
  account: { id: string };
}

export type UnionWithProduct = GraphUnion & { product: (NonNullable<GraphUnion["product"]> & { metadataURI?: string; summary?: string }) | null };

const UNION_FIELDS_WITH_PRODUCT = UNION_FIELDS.replace("product { id title", "product { id title summary metadataURI");

/** One union with its product, for the union page. */
export const UNION_QUERY = `query U($id: ID!) { dataUnion(id: $id) { ${UNION_FIELDS_WITH_PRODUCT} } }`;

/** Every union (the list page). */
export const UNIONS_QUERY = `{ dataUnions(first: 100, orderBy: createdAt, orderDirection: desc) { ${UNION_FIELDS} } }`;

/** The union of a DATA_UNION product (the product page's panel). */
export const PRODUCT_UNION_QUERY = `query PU($id: ID!) { product(id: $id) { union { ${UNION_FIELDS} } } }`;

/** My memberships, with each union's settlements for the earnings chart. */
export const MEMBERSHIPS_QUERY = `query M($me: ID!) { account(id: $me) { memberships(first: 100) { ${UNION_MEMBER_FIELDS}
  union { ${UNION_FIELDS} revenues(first: 1000, orderBy: timestamp, orderDirection: asc) { revenuePerWeight timestamp amount } } } } }`;

/** The unions I administer, with members, pending requests and the membership changes. */
export const ADMINISTERED_QUERY = `query A($me: ID!) { account(id: $me) { unionsAdministered(first: 100) { ${UNION_FIELDS}
  members(first: 1000, orderBy: joinedAt, orderDirection: asc) { ${UNION_MEMBER_FIELDS} }
  changes(first: 1000, orderBy: timestamp, orderDirection: asc) { status timestamp memberCount account { id } }
  revenues(first: 1000, orderBy: timestamp, orderDirection: asc) { revenuePerWeight timestamp amount } } } }`;

export type MembershipRow = GraphUnionMember & { union: GraphUnion & { revenues: UnionRevenuePoint[] } };
export type AdministeredUnion = GraphUnion & { members: GraphUnionMember[]; changes: MembershipChangePoint[]; revenues: UnionRevenuePoint[] };

/**
 * A member's earnings over time from the union's settlements: for the current membership,
 * weight × (revenuePerWeight_t − revenuePerWeight at the join) at each settlement after the join;
 * for a former member, what it earned, at the time it left. `chainEarnings` (readMember, which
 * includes revenue not yet settled) adds a last point "now" for what the settlements do not show yet.
 */
export function earningsPoints(m: Pick<GraphUnionMember, "status" | "weight" | "joinedAt" | "partedAt" | "earnings" | "revenuePerWeightPaid">, revenues: UnionRevenuePoint[], chainEarnings?: bigint, now = Math.floor(Date.now() / 1000)): Amount[] {
  const points: Amount[] = [];
  const joinedAt = Number(m.joinedAt ?? 0);
  if (m.status === "ACTIVE" && m.weight > 0) {
    const weight = BigInt(m.weight);
    let prev = 0n;
    for (const r of revenues) if (Number(r.timestamp) <= joinedAt) prev = BigInt(r.revenuePerWeight);
    // Earnings settled before this membership (an earlier one) sit at the join.
    const before = BigInt(m.earnings) - weight * (BigInt(m.revenuePerWeightPaid) - prev);
    if (before > 0n) points.push({ t: joinedAt, amount: before });
    for (const r of revenues) {
      if (Number(r.timestamp) <= joinedAt) continue;
      const rpw = BigInt(r.revenuePerWeight);
      if (rpw > prev) points.push({ t: Number(r.timestamp), amount: weight * (rpw - prev) });
      prev = rpw;
    }
  } else if (BigInt(m.earnings) > 0n) {
    points.push({ t: Number(m.partedAt ?? m.joinedAt ?? now), amount: BigInt(m.earnings) });
  }
  if (chainEarnings !== undefined) {
    const shown = points.reduce((a, p) => a + p.amount, 0n);
    if (chainEarnings > shown) points.push({ t: now, amount: chainEarnings - shown });
  }
  return points;
}

/** +1 per join, −1 per part or removal: the line is the number of members. */
export function membershipPoints(changes: MembershipChangePoint[]): Amount[] {
  return changes.map((c) => ({ t: Number(c.timestamp), amount: c.status === "ACTIVE" ? 1n : -1n }));
}

/** The union's revenue over time (each settlement's amount). */
export function revenuePoints(revenues: UnionRevenuePoint[]): Amount[] {
  return revenues.map((r) => ({ t: Number(r.timestamp), amount: BigInt(r.amount) }));
}
