// The dashboard's data union tabs. "My data unions" (a member's): each membership with its
// status, earnings over time (from the union's settlements, UnionRevenue), what can be withdrawn
// now (read from the chain, unsettled revenue included) and Withdraw. "Unions I run" (an
// admin's): per union the members (status, weight, joined, earned), joins and parts over time,
// revenue and fees (withdraw fees), pending join requests (approve / reject), removing a member
// with a reason, scheduling a fee change (applied when its notice has passed) and listing.
import { useState } from "react";
import { getAddress, type Address } from "viem";
import { memberEarnings, MAX_FEE_BPS, type RemovalReason } from "@kraken/sdk";
import { TimeChart } from "../../components/TimeChart.tsx";
import { useGraph } from "../../hooks/graph.ts";
import { useMemberState, useUnionState, useUnionTx } from "../../hooks/union.ts";
import { data, date, shortAddress } from "../../lib/words.ts";
import { Link } from "../../router.tsx";
import { ADMINISTERED_QUERY, earningsPoints, membershipPoints, MEMBERSHIPS_QUERY, revenuePoints, type AdministeredUnion, type MembershipRow } from "./data.ts";
import { UnionFacts, UnionTxStatus } from "./parts.tsx";
import { feeBps, memberStatusWords, percent, REMOVAL_REASONS, removalReasonWords, saleWords } from "./words.ts";

const unionTitle = (u: { id: string; product: { title: string } | null }) => u.product?.title ?? `Union ${shortAddress(u.id)}`;

export function MyUnionsView({ me }: { me: string }) {
  const q = useGraph<{ account: { memberships: MembershipRow[] } | null }>(MEMBERSHIPS_QUERY, { me });
  const list = (q.data?.account?.memberships ?? []).filter((m) => m.status !== "NONE");
  return (
    <>
      <h2>My data unions</h2>
      {q.error ? <p role="alert" className="notice error">{q.error.message}</p> : null}
      {q.isLoading ? <p role="status">Loading…</p> : list.length === 0 ? (
        <p>You are not a member of any data union. <Link to="/unions">See the data unions</Link> you could join.</p>
      ) : null}
      <ul className="manage-list">
        {list.map((m) => (
          <MembershipCard key={m.id} m={m} me={me} />
        ))}
      </ul>
    </>
  );
}

function MembershipCard({ m, me }: { m: MembershipRow; me: string }) {
  const union = getAddress(m.union.id);
  const chain = useMemberState(union, getAddress(me));
  const tx = useUnionTx(union);
  const title = unionTitle(m.union);
  const earned = chain.data?.earnings ?? memberEarnings(m, m.union);
  const withdrawable = chain.data?.withdrawable;
  const points = earningsPoints(m, m.union.revenues, chain.data?.earnings);
  const headingId = `membership-${m.id}`;
  return (
    <li className="card manage-item" aria-labelledby={headingId} role="region">
      <header>
        <h3 id={headingId}><Link to={`/unions/${union}`}>{title}</Link></h3>
        <span className={`badge ${m.status === "ACTIVE" ? "ok" : m.status === "PENDING" ? "warn" : ""}`}>{memberStatusWords(m.status)}</span>
      </header>
      <dl className="facts" aria-label={`My membership of ${title}`}>
        <dt>Joined</dt><dd>{date(m.joinedAt)}{m.partedAt && m.status !== "ACTIVE" ? `; left ${date(m.partedAt)}${m.removalReason && m.status === "REMOVED" ? ` (${removalReasonWords(m.removalReason)})` : ""}` : ""}</dd>
        <dt>Earned</dt><dd>{data(earned)}</dd>
        <dt>Withdrawn</dt><dd>{data(chain.data?.withdrawn ?? BigInt(m.withdrawn))}</dd>
        <dt>To withdraw</dt><dd data-testid="withdrawable">{withdrawable === undefined ? "…" : data(withdrawable)}</dd>
        <dt>Union</dt><dd>{m.union.memberCount} members, admin fee {percent(m.union.feeBps)}</dd>
      </dl>
      <TimeChart title={`My earnings from ${title}`} points={points} />
      <div className="actions">
        {withdrawable && withdrawable > 0n ? (
          <button type="button" disabled={tx.running} onClick={() => void tx.withdraw()}>Withdraw {data(withdrawable)}</button>
        ) : null}
        <Link to={`/unions/${union}`}>Union page</Link>
      </div>
      <UnionTxStatus tx={tx} label={`Withdrawal progress for ${title}`} />
    </li>
  );
}

export function AdminUnionsView({ me }: { me: string }) {
  const q = useGraph<{ account: { unionsAdministered: AdministeredUnion[] } | null }>(ADMINISTERED_QUERY, { me });
  const list = q.data?.account?.unionsAdministered ?? [];
  return (
    <>
      <h2>Unions I run</h2>
      {q.error ? <p role="alert" className="notice error">{q.error.message}</p> : null}
      {q.isLoading ? <p role="status">Loading…</p> : list.length === 0 ? (
        <p>You do not administer a data union. <Link to="/unions/new">Create one</Link>.</p>
      ) : null}
      <ul className="manage-list">
        {list.map((u) => (
          <AdminUnionCard key={u.id} g={u} me={me} />
        ))}
      </ul>
    </>
  );
}

function AdminUnionCard({ g, me }: { g: AdministeredUnion; me: string }) {
  const union = getAddress(g.id);
  const state = useUnionState(union);
  const tx = useUnionTx(union);
  const [feeText, setFeeText] = useState("");
  const [removing, setRemoving] = useState<{ member: Address; reason: RemovalReason }>();
  const title = unionTitle(g);
  const u = state.data;
  const pending = g.members.filter((m) => m.status === "PENDING");
  const now = Math.floor(Date.now() / 1000);
  const feeDue = u?.feeChange ? Number(u.feeChange.effectiveAt) <= now : false;
  const headingId = `admin-union-${g.id}`;
  const newFee = feeBps(feeText);
  const fees = u ? u.feesAccrued - u.feesWithdrawn : BigInt(g.fees) - BigInt(g.feesWithdrawn);
  return (
    <li className="card manage-item" role="region" aria-labelledby={headingId}>
      <header>
        <h3 id={headingId}><Link to={`/unions/${union}`}>{title}</Link></h3>
        <span className={`badge ${saleWords(g).onSale ? "ok" : "warn"}`}>{saleWords(u ?? g).text}</span>
      </header>
      {u ? <UnionFacts u={u} extra={<><dt>Admin fees</dt><dd>{data(u.feesAccrued)} accrued, {data(fees)} to withdraw</dd></>} /> : null}
      <div className="actions">
        <button type="button" disabled={tx.running || fees <= 0n} onClick={() => void tx.withdrawFees()}>
          {fees > 0n ? `Withdraw fees (${data(fees)})` : "No fees to withdraw"}
        </button>
        {u ? (
          <button type="button" className="secondary" disabled={tx.running} onClick={() => void tx.setListed(!u.listed)}>
            {u.listed ? "Take off sale" : "Put on sale"}
          </button>
        ) : null}
      </div>

      <h4>Pending join requests</h4>
      {pending.length === 0 ? <p className="muted">None.</p> : (
        <ul className="manage-list" aria-label={`Pending join requests of ${title}`}>
          {pending.map((m) => (
            <li key={m.id} className="request-row">
              <span className="address" title={m.account.id}>{m.account.id}</span>
              <span className="actions">
                <button type="button" disabled={tx.running} onClick={() => void tx.approve(getAddress(m.account.id))} aria-label={`Admit ${m.account.id}`}>Admit</button>
                <button type="button" className="secondary" disabled={tx.running} onClick={() => void tx.reject(getAddress(m.account.id))} aria-label={`Turn down ${m.account.id}`}>Turn down</button>
              </span>
            </li>
          ))}
        </ul>
      )}

      <h4>Admin fee</h4>
      <p>
        Now {percent(u?.feeBps ?? g.feeBps)}.{" "}
        {u?.feeChange ? <>Changing to {percent(u.feeChange.feeBps)} from <strong>{date(u.feeChange.effectiveAt)}</strong>{feeDue ? " (due now)" : ""}.</> : "No change scheduled."}
      </p>
      <div className="retract-form">
        <div className="field">
          <label htmlFor={`fee-${g.id}`}>New admin fee (%)</label>
          <input id={`fee-${g.id}`} inputMode="decimal" value={feeText} onChange={(e) => setFeeText(e.target.value)} aria-invalid={feeText !== "" && Number.isNaN(newFee)} />
          {feeText !== "" && Number.isNaN(newFee) ? <span className="error-text">0 to {MAX_FEE_BPS / 100} %, at most two decimals.</span> : null}
        </div>
        <button type="button" disabled={tx.running || feeText === "" || Number.isNaN(newFee)} onClick={() => void tx.scheduleFee(newFee)}>Schedule the change (7 days' notice)</button>
        {u?.feeChange ? (
          <button type="button" className="secondary" disabled={tx.running || !feeDue} onClick={() => void tx.applyFee()} title={feeDue ? undefined : `applicable from ${date(u.feeChange.effectiveAt)}`}>
            {feeDue ? "Apply the new fee" : `Apply from ${date(u.feeChange.effectiveAt)}`}
          </button>
        ) : null}
      </div>

      <UnionTxStatus tx={tx} label={`Progress for ${title}`} />

      <h4>Members</h4>
      {g.members.length === 0 ? <p className="muted">Nobody has joined yet.</p> : (
        <div className="table-wrap">
          <table aria-label={`Members of ${title}`}>
            <thead><tr><th>Member</th><th>Status</th><th>Weight</th><th>Joined</th><th>Earned</th><th>Action</th></tr></thead>
            <tbody>
              {g.members.map((m) => (
                <tr key={m.id}>
                  <td className="address" title={m.account.id}>{shortAddress(m.account.id)}</td>
                  <td>{memberStatusWords(m.status)}{m.status === "REMOVED" && m.removalReason ? <div className="muted">{removalReasonWords(m.removalReason)}</div> : null}</td>
                  <td>{m.weight}</td>
                  <td>{date(m.joinedAt)}{m.partedAt && !m.active ? <div className="muted">left {date(m.partedAt)}</div> : null}</td>
                  <td>{data(memberEarnings(m, g))}</td>
                  <td>
                    {m.status === "ACTIVE" ? (
                      <button type="button" className="secondary small" aria-label={`Remove ${m.account.id}`} onClick={() => setRemoving({ member: getAddress(m.account.id), reason: 0 as RemovalReason })}>Remove</button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {removing ? (
        <section className="card action-panel" aria-label={`Remove ${removing.member}`}>
          <p>Remove <span className="address">{removing.member}</span>? They stop sharing later revenue and can no longer publish; their earnings so far stay theirs. The reason is recorded on chain.</p>
          <div className="field">
            <label htmlFor={`reason-${g.id}`}>Reason</label>
            <select id={`reason-${g.id}`} value={removing.reason} onChange={(e) => setRemoving({ ...removing, reason: Number(e.target.value) as RemovalReason })}>
              {REMOVAL_REASONS.map((r) => <option key={r.value} value={r.value}>{r.label}</option>)}
            </select>
          </div>
          <div className="actions">
            <button type="button" disabled={tx.running} onClick={() => { void tx.remove(removing.member, removing.reason).then(() => setRemoving(undefined)); }}>Remove the member</button>
            <button type="button" className="secondary" onClick={() => setRemoving(undefined)}>Keep them</button>
          </div>
        </section>
      ) : null}

      <h4>Members over time</h4>
      <TimeChart title={`Members of ${title}`} points={membershipPoints(g.changes)} unit="members" wei={false} />
      <h4>Revenue over time</h4>
      <TimeChart title={`Revenue of ${title}`} points={revenuePoints(g.revenues)} />
      <p className="muted">Revenue paid to the union is shared out at the next join, part or withdrawal; until then it shows as revenue on the chain but not in these settlements. Admin: <span className="address">{me}</span></p>
    </li>
  );
}
