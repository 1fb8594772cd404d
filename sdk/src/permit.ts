// EIP-2612 permits for DataToken, so a purchase is approved and paid in one transaction
// (Agreements.requestAccessWithPermit). The domain and nonce are read from the token itself.
import { parseSignature, type Account, type Address, type PublicClient, type WalletClient } from "viem";
import { dataTokenAbi } from "./generated/abis.ts";

export const permitTypes = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

export interface SignedPermit {
  value: bigint;
  deadline: bigint;
  v: number;
  r: `0x${string}`;
  s: `0x${string}`;
}

/** Signs a permit letting `spender` take `value` of `owner`'s tokens until `deadline`. */
export async function signPermit(o: {
  wallet: WalletClient;
  publicClient: PublicClient;
  token: Address;
  owner: Account;
  spender: Address;
  value: bigint;
  deadline: bigint;
}): Promise<SignedPermit> {
  const [domain, nonce] = await Promise.all([
    o.publicClient.readContract({ address: o.token, abi: dataTokenAbi, functionName: "eip712Domain" }),
    o.publicClient.readContract({ address: o.token, abi: dataTokenAbi, functionName: "nonces", args: [o.owner.address] }),
  ]);
  const signature = await o.wallet.signTypedData({
    account: o.owner,
    domain: { name: domain[1], version: domain[2], chainId: Number(domain[3]), verifyingContract: domain[4] },
    types: permitTypes,
    primaryType: "Permit",
    message: { owner: o.owner.address, spender: o.spender, value: o.value, nonce, deadline: o.deadline },
  });
  const { r, s, v, yParity } = parseSignature(signature);
  return { value: o.value, deadline: o.deadline, v: Number(v ?? BigInt(yParity! + 27)), r, s };
}
