// Data union pages (MKT-FUN-18): `#/unions` lists the unions; `#/unions/<address>` shows one —
// members against the minimum (on sale, or how many more it needs), revenue, the admin fee and
// any scheduled change, who may join, the stream — and, for the connected wallet, Join (or Ask
// to join), Leave, why it may not join (DataUnion.joinVerdict in words, with a link to register
// when that is the fix), and its earnings with Withdraw. The union is read from the chain (the
// authority for decisions), the title and product from the subgraph.
import { useQuery } from "@tanstack/react-query";
import { lazy, Suspense, useEffect } from "react";
import { getAddress, isAddress, type Address } from "viem";
import { useAccount } from "wagmi";
import { useConnectModal } from "@rainbow-me/rainbowkit";
import { MemberStatus, Verdict, type GraphUnion, type ProductMetadata } from "@kraken/sdk";
import { useCredentialStatus } from "../../hooks/chain.ts";
import { useDapp } from "../../hooks/dapp.ts";
import { useGraph } from "../../hooks/graph.ts";
import { useMemberState, useUnionState, useUnionTx } from "../../hooks/union.ts";
import { fetchMetadata } from "../../lib/ipfs.ts";
import { data, date, priceWords } from "../../lib/words.ts";
import { Link, useRoute } from "../../router.tsx";
import { UNION_QUERY, UNIONS_QUERY, type UnionWithProduct } from "./data.ts";
import { UnionFacts, UnionTxStatus } from "./parts.tsx";
import { explainJoinVerdict, memberStatusWords, percent, saleWords } from "./words.ts";
const PublishPanel = lazy(() => import("./PublishPanel.tsx"));

export default function UnionPage({ params }: { params: Record<string, string> }) {
  const { path } = useRoute();
  const address = params.address ?? (path.startsWith("/unions/") ? path.slice("/unions/".length) : "");
  if (!address) return <UnionList />;
  if (!isAddress(address)) return <p className="notice error" role="alert">“{address}” is not a data union address.</p>;
  return <Union address={getAddress(address)} />;
}

function UnionList() {
  const q = useGraph<{ dataUnions: GraphUnion[] }>(UNIONS_QUERY);
  useEffect(() => {
    document.title = "Data unions · Kraken";
  }, []);
  const list = q.data?.dataUnions ?? [];
  return (
    <section aria-labelledby="unions-title">
      <h1 id="unions-title">Data unions</h1>
      <p>
        Individuals pool their data in one stream, sold as one product; the revenue is shared among the members after the admin's fee.{" "}
        <Link to="/unions/new">Create a data union</Link>.
      </p>
      {q.error ? <p role="alert" className="notice error">{q.error.message}</p> : null}
      {q.isLoading ? <p role="status">Loading…</p> : list.length === 0 ? <p>No data unions yet.</p> : null}
      {list.length ? (
        <div className="table-wrap">
          <table aria-label="Data unions">
            <thead><tr><th>Union</th><th>Members</th><th>Price</th><th>Admin fee</th><th>Revenue</th></tr></thead>
            <tbody>
              {list.map((u) => (
                <tr key={u.id}>
                  <td><Link to={`/unions/${u.id}`}>{u.product?.title ?? u.id}</Link></td>
                  <td>{u.memberCount} / {u.minMembers} <div className="muted">{saleWords({ listed: u.listed, memberCount: u.memberCount, minMembers: u.minMembers }).text}</div></td>
                  <td>{u.product ? priceWords(u.product.price, u.product.pricingUnit) : "—"}</td>
                  <td>{percent(u.feeBps)}</td>
                  <td>{data(u.revenue)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

function Union({ address }: { address: Address }) {
  const { config } = useDapp();
  const state = useUnionState(address);
  const graph = useGraph<{ dataUnion: UnionWithProduct | null }>(UNION_QUERY, { id: address.toLowerCase() });
  const g = graph.data?.dataUnion ?? undefined;
  const meta = useQuery({
    queryKey: ["ipfs", g?.product?.metadataURI],
    enabled: !!g?.product?.metadataURI,
    queryFn: ({ signal }) => fetchMetadata(config.ipfsGatewayUrl, g!.product!.metadataURI!, signal),
    staleTime: Infinity,
    retry: 1,
  });
  const u = state.data;
  const title = meta.data?.title ?? g?.product?.title ?? (u ? `Data union of product ${u.productId}` : "Data union");
  useEffect(() => {
    document.title = `${title} · Kraken`;
  }, [title]);

  if (state.isLoading) return <p role="status" className="muted">Loading the data union…</p>;
  if (state.error || !u) {
    return (
      <section>
        <h1>Data union not found</h1>
        <p className="notice error" role="alert">
          {address} is not a data union this page can read{state.error ? ` (${state.error.message.split("\n")[0]})` : ""}. <Link to="/unions">See all data unions</Link>.
        </p>
      </section>
    );
  }
  return (
    <article className="product-page" aria-labelledby="union-title">
      <div>
        <p><Link to="/unions">← All data unions</Link></p>
        <h1 id="union-title">{title}</h1>
        {g?.product?.summary ? <p>{g.product.summary}</p> : null}
        {meta.data?.description ? <div className="description">{meta.data.description.split(/\n{2,}/).map((para, i) => <p key={i}>{para}</p>)}</div> : null}
        {!g && !graph.isLoading ? <p className="notice warn" role="status">The catalogue has not indexed this union yet; showing it straight from the chain.</p> : null}
        <h2>The union</h2>
        <UnionFacts
          u={u}
          extra={
            <>
              <dt>Product</dt>
              <dd>
                <Link to={`/product/${u.productId}`}>Product {String(u.productId)}</Link>
                {g?.product ? ` — ${priceWords(g.product.price, g.product.pricingUnit)}, sold ${g.product.salesCount} times` : ""}
              </dd>
              <dt>Admin</dt>
              <dd className="address">{u.admin}</dd>
              {g ? <><dt>Created</dt><dd>{date(g.createdAt)}</dd></> : null}
            </>
          }
        />
        <p className="muted">
          Members publish their data into the union's stream; buyers subscribe to the union's product, paid to the union. Each member's share of the revenue
          after the admin's {percent(u.feeBps)} fee is theirs to withdraw, also after they leave. A fee change is announced 7 days ahead, so members can leave first.
        </p>
      </div>
      <aside aria-label="Membership">
        <MemberPanel union={address} requiresApproval={u.joinPolicy.requiresApproval} admin={u.admin} streamId={u.streamId} metadata={meta.isSuccess ? meta.data : meta.isError ? "unavailable" : "loading"} />
      </aside>
    </article>
  );
}

/** The connected wallet's membership: join / ask to join / leave / why not, and earnings with Withdraw. */
export function MemberPanel({ union, requiresApproval, admin, streamId, metadata }: {
  union: Address;
  requiresApproval: boolean;
  admin: Address;
  streamId?: string;
  /** the union product's metadata document (its stream filter), as far as it is loaded */
  metadata: ProductMetadata | "loading" | "unavailable";
}) {
  const { address, isConnected } = useAccount();
  const { openConnectModal } = useConnectModal();
  const member = useMemberState(union, address);
  const credential = useCredentialStatus(address);
  const tx = useUnionTx(union);
  useEffect(tx.reset, [address, tx.reset]);
  const { data: m } = member;
  if (!isConnected) {
    return (
      <div className="card">
        <h2>Join this union</h2>
        <p>Connect a wallet to see whether your credential lets you join, and your earnings.</p>
        <button type="button" onClick={openConnectModal}>Connect wallet</button>
      </div>
    );
  }
  const isAdmin = address?.toLowerCase() === admin.toLowerCase();
  const status = m?.status ?? MemberStatus.None;
  const verdict = m ? explainJoinVerdict(m.joinVerdict, credential.data) : undefined;
  const removed = status === MemberStatus.Removed;
  const needsApproval = requiresApproval || removed;
  const canJoin = !!m && (status === MemberStatus.None || status === MemberStatus.Parted || removed) && m.joinVerdict === Verdict.Eligible;
  return (
    <div className="card" aria-live="polite">
      <h2>{status === MemberStatus.Active ? "Your membership" : "Join this union"}</h2>
      {member.isLoading ? <p role="status">Checking your membership…</p> : null}
      {member.error ? <p role="alert" className="notice error">Your membership could not be read: {member.error.message.split("\n")[0]}</p> : null}
      {isAdmin ? <p className="notice">You are this union's admin. <Link to="/dashboard?view=admin">Manage it in your dashboard</Link>.</p> : null}
      {m ? (
        <>
          <p data-testid="member-status">
            <strong>{memberStatusWords(status)}</strong>
            {status === MemberStatus.Active ? ` since ${date(m.joinedAt)}.` : status === MemberStatus.Pending ? ": your request waits for the admin's approval." : status === MemberStatus.Parted || removed ? ` on ${date(m.leftAt)}.` : "."}
          </p>
          {status === MemberStatus.Active || m.earnings > 0n ? (
            <dl className="facts" aria-label="Your earnings">
              <dt>Earned</dt><dd>{data(m.earnings)}</dd>
              <dt>Withdrawn</dt><dd>{data(m.withdrawn)}</dd>
              <dt>To withdraw</dt><dd data-testid="withdrawable">{data(m.withdrawable)}</dd>
            </dl>
          ) : null}
          {status !== MemberStatus.Active && status !== MemberStatus.Pending && verdict ? (
            <section aria-label="Can I join?" className={`notice ${verdict.eligible ? "ok" : "error"}`}>
              <p data-verdict={m.joinVerdict}>
                <strong>{verdict.eligible ? "You may join." : "You may not join."}</strong> {verdict.reason}
                {verdict.action === "register" ? <> <Link to="/register">Register now</Link>.</> : null}
                {verdict.eligible && needsApproval ? (removed ? " The admin removed you before, so the admin decides whether you come back." : " The admin approves each join.") : null}
              </p>
            </section>
          ) : null}
          <div className="actions">
            {canJoin ? (
              <button type="button" disabled={tx.running} onClick={() => void tx.join()}>
                {tx.running && tx.steps.some((s) => s.label.includes("join")) ? "Working…" : needsApproval ? "Ask to join" : "Join"}
              </button>
            ) : null}
            {status === MemberStatus.Active ? (
              <button type="button" className="secondary" disabled={tx.running} onClick={() => void tx.part()}>Leave the union</button>
            ) : null}
            {m.withdrawable > 0n ? (
              <button type="button" disabled={tx.running} onClick={() => void tx.withdraw()}>Withdraw {data(m.withdrawable)}</button>
            ) : null}
          </div>
          {status === MemberStatus.Active ? <p className="muted">Leaving ends your share of later revenue and your publishing; what you earned stays yours to withdraw.</p> : null}
          {status === MemberStatus.Active && streamId ? (
            <Suspense fallback={<p className="muted">…</p>}>
              <PublishPanel streamId={streamId} metadata={metadata} />
            </Suspense>
          ) : null}
        </>
      ) : null}
      <UnionTxStatus tx={tx} label="Membership progress">
        {tx.result?.action === "withdraw" || tx.result?.action === "join" ? <Link to="/dashboard?view=unions">See my data unions</Link> : null}
      </UnionTxStatus>
    </div>
  );
}
