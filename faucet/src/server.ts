// The demo faucet (fastify): POST /drip {address} mints DATA to the address, GET /health says
// what it gives. Local chain only: it refuses to start anywhere else, and the dApp shows its
// button only in demo builds, so production has neither.
import cors from "@fastify/cors";
import Fastify, { type FastifyInstance } from "fastify";
import { join } from "node:path";
import { formatUnits, getAddress, isAddress, parseUnits, zeroAddress, type Address, type Hex } from "viem";
import { mnemonicToAccount, privateKeyToAccount } from "viem/accounts";
import {
  clientsFor, dataTokenAbi, KrakenError, DEFAULT_FAUCET_PORT, DEV_MNEMONIC, LOCAL_CHAIN_ID, marketplaceChain,
  type Deployment, type FaucetDrip, type FaucetErrorCode, type FaucetInfo,
} from "@kraken/sdk";
import { DripLimiter } from "./limiter.ts";
import { faucetOps, mountOps } from "./ops.ts";

export interface FaucetOptions {
  rpcUrl: string;
  deployment: Deployment;
  /** Where the per-address cooldowns are kept, e.g. `.data/faucet`. */
  dataDir: string;
  /** TCP port (default 8788; 0 picks a free one). */
  port?: number;
  host?: string;
  /** Key holding the token's MINTER_ROLE (default: the deployer, dev account #0). */
  minterKey?: Hex;
  /** DATA per drip (default 1000). */
  amount?: bigint;
  /** How long an address waits between drips (default 1 hour). */
  cooldownMs?: number;
  /** Drips per minute over all addresses (default 30). */
  perMinute?: number;
  log?: (line: string) => void;
}

export interface RunningFaucet {
  url: string;
  info: FaucetInfo;
  stop(): Promise<void>;
}

/** The faucet cannot run here (not the local chain, no minter role). */
export class FaucetStartError extends KrakenError {
  override name = "FaucetStartError";

  constructor(message: string) {
    super("faucet-unavailable", message);
  }
}

const MAX_QUEUED = 50; // mints waiting for the chain: more is an attack or a stuck chain

export async function startFaucet(o: FaucetOptions): Promise<RunningFaucet> {
  const log = o.log ?? ((l: string) => process.stderr.write(`[faucet] ${l}\n`));
  const account = o.minterKey ? privateKeyToAccount(o.minterKey) : mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 0 });
  const { wallet, publicClient } = clientsFor(marketplaceChain(o.rpcUrl, o.deployment.chainId), account, 100);
  const token = o.deployment.contracts.DataToken.address;

  const chainId = await publicClient.getChainId();
  if (chainId !== LOCAL_CHAIN_ID) throw new FaucetStartError(`the demo faucet runs only on the local chain (id ${LOCAL_CHAIN_ID}); this one has id ${chainId}`);
  const minterRole = await publicClient.readContract({ address: token, abi: dataTokenAbi, functionName: "MINTER_ROLE" });
  if (!(await publicClient.readContract({ address: token, abi: dataTokenAbi, functionName: "hasRole", args: [minterRole, account.address] }))) {
    throw new FaucetStartError(`${account.address} cannot mint DATA (no MINTER_ROLE on ${token})`);
  }

  const amount = o.amount ?? parseUnits("1000", 18);
  const cooldownMs = o.cooldownMs ?? 60 * 60_000;
  const limiter = new DripLimiter({ file: join(o.dataDir, "drips.json"), cooldownMs, perMinute: o.perMinute ?? 30 });
  const info: FaucetInfo = { chainId, token, amount: amount.toString(), cooldownSeconds: Math.round(cooldownMs / 1000) };
  const metrics = faucetOps({ rpcUrl: o.rpcUrl, chainId, dataDir: o.dataDir });

  // One mint at a time: the minter's nonces stay in order.
  let queue: Promise<unknown> = Promise.resolve();
  let queued = 0;
  const mint = (to: Address): Promise<Hex> => {
    const job = queue.then(async () => {
      const hash = await wallet.writeContract({ address: token, abi: dataTokenAbi, functionName: "mint", args: [to, amount] });
      const receipt = await publicClient.waitForTransactionReceipt({ hash, timeout: 30_000 });
      if (receipt.status !== "success") throw new Error(`mint reverted (${hash})`);
      return hash;
    });
    queued++;
    queue = job.catch(() => {}).finally(() => queued--);
    return job;
  };

  const app: FastifyInstance = Fastify({ bodyLimit: 1024, logger: false });
  await app.register(cors, { origin: true, methods: ["GET", "POST"] });
  const refuse = (code: Exclude<FaucetErrorCode, "unreachable">, message: string, extra: Record<string, unknown> = {}) => {
    metrics.refused(code);
    return { error: code, message, ...extra };
  };

  // GET /health (the FaucetInfo, plus status, service and uptime), /ready (chain) and /metrics
  mountOps(app, metrics.ops, info);

  app.post<{ Body: { address?: unknown } }>(
    "/drip",
    {
      schema: { body: { type: "object", required: ["address"], properties: { address: { type: "string", maxLength: 64 } } } },
      // bodies refused before the handler (schema, not JSON, too large) count as bad-request
      onError: async (_req, reply, err) => metrics.refused(((err as { statusCode?: number }).statusCode ?? reply.statusCode) < 500 ? "bad-request" : "failed"),
    },
    async (req, reply) => {
      const raw = String(req.body.address);
      if (!isAddress(raw, { strict: false }) || raw.toLowerCase() === zeroAddress) {
        return reply.code(400).send(refuse("bad-address", `"${raw.slice(0, 64)}" is not an Ethereum address`));
      }
      const address = getAddress(raw);
      const decision = limiter.check(address);
      if (!decision.ok) {
        const wait = Math.max(1, Math.ceil((decision.retryAt - Date.now()) / 1000));
        const message = decision.reason === "address"
          ? `${address} got demo DATA recently; ask again in ${formatWait(wait)}`
          : `the faucet is busy; ask again in ${formatWait(wait)}`;
        return reply.code(429).header("retry-after", String(wait)).send(refuse("rate-limited", message, { retryAt: decision.retryAt }));
      }
      if (queued >= MAX_QUEUED) return reply.code(503).send(refuse("busy", "the faucet has too many requests waiting; try again in a minute"));
      const nextAt = limiter.record(address);
      let txHash: Hex;
      try {
        txHash = await mint(address);
      } catch (err) {
        limiter.undo(address);
        log(`mint failed: ${(err as Error).message.split("\n")[0]}`);
        return reply.code(502).send(refuse("failed", "the chain did not mint the DATA; try again"));
      }
      const balance = await publicClient.readContract({ address: token, abi: dataTokenAbi, functionName: "balanceOf", args: [address] });
      log(`gave ${formatUnits(amount, 18)} DATA (${txHash})`); // no address in the log: who asked is nobody's business
      const drip: FaucetDrip = { address, amount: amount.toString(), txHash, balance: balance.toString(), nextAt };
      metrics.dripped();
      return drip;
    },
  );

  await app.listen({ port: o.port ?? DEFAULT_FAUCET_PORT, host: o.host ?? "127.0.0.1" });
  const addr = app.server.address();
  const url = `http://${o.host ?? "127.0.0.1"}:${typeof addr === "object" && addr ? addr.port : o.port}`;
  log(`giving ${formatUnits(amount, 18)} DATA per address every ${formatWait(info.cooldownSeconds)} at ${url}/drip`);
  return {
    url,
    info,
    async stop() {
      await app.close();
      await queue;
    },
  };
}

function formatWait(seconds: number): string {
  if (seconds < 90) return `${seconds} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}
