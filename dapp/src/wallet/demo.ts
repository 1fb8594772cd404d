// The Demo wallet (local demo only; compiled out of production builds): lets a newcomer without
// a browser wallet act as each seeded persona. An EIP-1193 provider that signs locally with
// viem (the persona's key from config.demo, i.e. the public development mnemonic) and sends
// everything else to the configured RPC. It plugs into wagmi as an injected connector and into
// RainbowKit as a wallet, so the app treats it exactly like MetaMask.
import type { Wallet } from "@rainbow-me/rainbowkit";
import { createWalletClient, http, type Chain, type EIP1193Provider, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { createConnector } from "wagmi";
import { injected } from "wagmi/connectors";
import type { DappConfig, DemoPersona } from "../config.ts";

export const DEMO_CONNECTOR_ID = "kraken-demo";
const STORAGE_KEY = "kraken.demoPersona";

type Listener = (...args: unknown[]) => void;

class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const big = (v: unknown) => (v === undefined || v === null ? undefined : BigInt(v as string));

export interface DemoWallet {
  personas: DemoPersona[];
  persona(): DemoPersona;
  /** Switches the signing key; a connected app sees `accountsChanged`. */
  setPersona(address: string): void;
  subscribe(fn: () => void): () => void;
  provider: EIP1193Provider;
  /** The RainbowKit wallet entry ("Demo wallet (local demo only)"). */
  rainbowWallet: () => Wallet;
}

export function createDemoWallet(config: DappConfig, chain: Chain): DemoWallet {
  const personas = config.demo?.personas ?? [];
  if (!personas.length) throw new Error("the demo wallet needs config.demo.personas");
  const saved = typeof localStorage !== "undefined" ? localStorage.getItem(STORAGE_KEY) : null;
  let current = personas.find((p) => p.address.toLowerCase() === saved?.toLowerCase()) ?? personas[0];
  const listeners = new Map<string, Set<Listener>>();
  const watchers = new Set<() => void>();
  const emit = (event: string, ...args: unknown[]) => listeners.get(event)?.forEach((fn) => fn(...args));
  const rpc = http(config.rpcUrl, { retryCount: 0 })({ chain });
  let connected = false;

  const client = () => createWalletClient({ account: privateKeyToAccount(current.privateKey), chain, transport: http(config.rpcUrl, { retryCount: 0 }) });

  const provider = {
    async request({ method, params }: { method: string; params?: unknown }): Promise<unknown> {
      const p = (params ?? []) as unknown[];
      const account = privateKeyToAccount(current.privateKey);
      switch (method) {
        case "eth_requestAccounts":
          connected = true;
          return [account.address];
        case "eth_accounts":
          return connected ? [account.address] : [];
        case "eth_chainId":
          return `0x${chain.id.toString(16)}`;
        case "net_version":
          return String(chain.id);
        case "wallet_requestPermissions":
        case "wallet_getPermissions":
          return [{ parentCapability: "eth_accounts" }];
        case "wallet_revokePermissions":
          connected = false;
          return null;
        case "wallet_switchEthereumChain": {
          const wanted = Number((p[0] as { chainId: string }).chainId);
          if (wanted !== chain.id) throw new RpcError(4902, `the demo wallet only knows chain ${chain.id}`);
          return null;
        }
        case "personal_sign":
          return account.signMessage({ message: { raw: p[0] as Hex } });
        case "eth_signTypedData_v4": {
          const typed = typeof p[1] === "string" ? JSON.parse(p[1]) : p[1];
          return account.signTypedData(typed);
        }
        case "eth_sendTransaction": {
          const tx = p[0] as Record<string, string | undefined>;
          return client().sendTransaction({
            to: tx.to as Hex | undefined,
            data: tx.data as Hex | undefined,
            value: big(tx.value),
            gas: big(tx.gas),
            nonce: tx.nonce === undefined ? undefined : Number(tx.nonce),
          });
        }
        case "eth_sign":
        case "eth_signTransaction":
          throw new RpcError(4200, `the demo wallet does not support ${method}`);
        default:
          return rpc.request({ method, params });
      }
    },
    on(event: string, fn: Listener) {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event)!.add(fn);
    },
    removeListener(event: string, fn: Listener) {
      listeners.get(event)?.delete(fn);
    },
  } as unknown as EIP1193Provider;

  const wallet: DemoWallet = {
    personas,
    persona: () => current,
    setPersona(address) {
      const next = personas.find((p) => p.address.toLowerCase() === address.toLowerCase());
      if (!next) throw new Error(`no demo persona with address ${address}`);
      current = next;
      try {
        localStorage.setItem(STORAGE_KEY, next.address);
      } catch {
        /* private mode: the choice just is not remembered */
      }
      if (connected) emit("accountsChanged", [next.address]);
      watchers.forEach((fn) => fn());
    },
    subscribe(fn) {
      watchers.add(fn);
      return () => watchers.delete(fn);
    },
    provider,
    rainbowWallet: () => ({
      id: DEMO_CONNECTOR_ID,
      name: "Demo wallet (local demo only)",
      shortName: "Demo wallet",
      iconUrl: DEMO_ICON,
      iconBackground: "#fff3c4",
      installed: true,
      createConnector: (walletDetails) =>
        createConnector((cfg) => ({
          ...injected({ target: () => ({ id: DEMO_CONNECTOR_ID, name: "Demo wallet", provider }) })(cfg),
          ...walletDetails,
        })),
    }),
  };
  return wallet;
}

const DEMO_ICON =
  "data:image/svg+xml," +
  encodeURIComponent(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 28 28"><rect width="28" height="28" rx="6" fill="#fff3c4"/><text x="14" y="19" font-size="8.5" font-family="sans-serif" font-weight="700" text-anchor="middle" fill="#7a5b00">DEMO</text></svg>`,
  );
