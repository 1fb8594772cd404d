// The wizard's stream data: the Streamr stream ids the product sells (pasted, one per line) and
// "Create a new stream": StreamRegistry.createStream(path, metadata) signed by the connected
// wallet, whose id `<lowercase address><path>` is then added to the list. A stream with that id
// that exists already is added when the seller holds GRANT on it; otherwise the seller is told.
import { useId, useRef, useState } from "react";
import { useConfig } from "wagmi";
import { readContract } from "wagmi/actions";
import { streamRegistryAbi } from "@kraken/sdk";
import { checkStreamPath, defaultStreamPath, parseStreams, streamIdFor, type ProductDraft } from "./draft.ts";
import { explainError } from "./errors.ts";
import type { Task } from "./publish.ts";
import { TaskList } from "./TaskList.tsx";
import { useSellerActions } from "./useSellerActions.ts";

const GRANT = 4; // StreamRegistryV5.PermissionType.Grant

type StreamTask = Omit<Task, "key"> & { key: "lookup" | "create" };
type Outcome = { ok: boolean; message: string } | null;

export function StreamFields({ draft, update }: { draft: ProductDraft; update: (p: Partial<ProductDraft>) => void }) {
  const id = useId();
  const actions = useSellerActions();
  const wagmi = useConfig();
  const [text, setText] = useState(draft.streams.join("\n"));
  const latest = useRef(text); // what the textarea holds now, also after an await
  const [editedPath, setEditedPath] = useState<string | null>(null); // null: follow the title
  const [tasks, setTasks] = useState<StreamTask[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const path = editedPath ?? defaultStreamPath(draft.title);
  const registry = actions.config.contracts.streamRegistry;

  const setStreams = (t: string) => {
    latest.current = t;
    setText(t);
    update({ streams: parseStreams(t) });
  };
  const add = (streamId: string) => {
    const t = latest.current;
    if (!parseStreams(t).includes(streamId)) setStreams(t.trim() ? `${t.trimEnd()}\n${streamId}` : streamId);
  };
  const report = (key: StreamTask["key"], patch: Partial<StreamTask>) => setTasks((ts) => ts && ts.map((t) => (t.key === key ? { ...t, ...patch } : t)));

  const create = async () => {
    setOutcome(null);
    const problem = checkStreamPath(path);
    if (problem) return setOutcome({ ok: false, message: problem });
    if (!actions.connected) return setOutcome({ ok: false, message: "Connect a wallet (or choose a Demo persona) first: the stream belongs to the address that creates it." });
    if (!registry) return setOutcome({ ok: false, message: "This marketplace has no Streamr registry configured (config.json: contracts.streamRegistry), so streams cannot be created." });
    const streamId = streamIdFor(actions.account, path);
    setBusy(true);
    setTasks([
      { key: "lookup", label: "Look the stream up in the Streamr registry", status: "active" },
      { key: "create", label: "Sign: create the stream", status: "waiting" },
    ]);
    let current: StreamTask["key"] = "lookup";
    try {
      const exists = await readContract(wagmi, { address: registry, abi: streamRegistryAbi, functionName: "exists", args: [streamId] });
      if (exists) {
        const canGrant = await readContract(wagmi, { address: registry, abi: streamRegistryAbi, functionName: "hasPermission", args: [streamId, actions.account, GRANT] });
        if (!canGrant) throw new Error(`Stream ${streamId} exists already, but you do not hold GRANT on it, so you cannot sell it. Choose another path.`);
        report("lookup", { status: "done", detail: "it exists already and you hold GRANT on it" });
        report("create", { status: "done", detail: "not needed" });
        add(streamId);
        setOutcome({ ok: true, message: `Stream ${streamId} exists already and is yours: added to this product.` });
        return;
      }
      report("lookup", { status: "done", detail: "not there yet" });
      current = "create";
      report("create", { status: "active", detail: "confirm in your wallet…" });
      const metadata = JSON.stringify({ description: draft.title.trim() || path, partitions: 1 });
      const receipt = await actions.write(
        { address: registry, abi: streamRegistryAbi, functionName: "createStream", args: [path, metadata] },
        (hash) => report("create", { detail: `signed; waiting to be mined (${hash.slice(0, 10)}…)` }),
      );
      report("create", { status: "done", detail: `created in block ${receipt.blockNumber}` });
      add(streamId);
      setOutcome({ ok: true, message: `Stream ${streamId} created: added to this product.` });
    } catch (err) {
      report(current, { status: "failed" });
      setOutcome({ ok: false, message: explainError(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <div className="field">
        <label htmlFor={`${id}-streams`}>Stream ids (one per line)</label>
        <textarea
          id={`${id}-streams`}
          rows={3}
          value={text}
          placeholder="0x…/heart-rate"
          onChange={(e) => setStreams(e.target.value)}
          aria-describedby={`${id}-streams-hint`}
        />
        <span id={`${id}-streams-hint`} className="muted hint">
          Paste streams in the Streamr registry on which you hold GRANT, or create one below; buyers get SUBSCRIBE until their agreement ends.
        </span>
      </div>
      <fieldset className="stream-create">
        <legend>Create a new stream</legend>
        <div className="field">
          <label htmlFor={`${id}-path`}>Stream path</label>
          <div className="stream-create-row">
            <input
              id={`${id}-path`}
              value={path}
              spellCheck={false}
              autoCapitalize="off"
              onChange={(e) => setEditedPath(e.target.value)}
              onKeyDown={(e) => {
                // Enter creates the stream here instead of submitting the wizard's step.
                if (e.key === "Enter") {
                  e.preventDefault();
                  if (!busy) void create();
                }
              }}
              aria-describedby={`${id}-path-hint`}
            />
            <button type="button" onClick={() => void create()} disabled={busy}>
              {busy ? "Creating…" : "Create stream"}
            </button>
          </div>
          <span id={`${id}-path-hint`} className="muted hint stream-id">
            {actions.connected ? `Its id will be ${streamIdFor(actions.account, path)}. ` : ""}One signature; you become its owner (GRANT) and publish to it with your key.
          </span>
        </div>
        {tasks ? <TaskList tasks={tasks} label="Stream creation progress" /> : null}
        {outcome?.ok ? (
          <p className="notice ok stream-id" role="status">
            {outcome.message}
          </p>
        ) : null}
        {outcome && !outcome.ok ? (
          <p className="notice error stream-id" role="alert">
            <strong>That did not work.</strong> {outcome.message}
          </p>
        ) : null}
      </fieldset>
    </>
  );
}
