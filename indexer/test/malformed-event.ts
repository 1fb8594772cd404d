// A test-only chain hack shared by the indexer's tests: the Catalogue emits, once, a
// ProductPublished log with malformed data (its code is swapped for PUSH32 topic, PUSH1 1,
// PUSH1 0, LOG1, STOP, then restored), so the mapping cannot handle that block.
import { keccak256, toHex, type Address, type Hex, type TransactionReceipt } from "viem";
import type { Stack } from "../../test/helpers/stack.ts";

type SetCode = { Parameters: [address: Address, code: Hex]; ReturnType: null };

/** Mines the malformed event; returns its transaction's receipt. */
export async function emitMalformedProductPublished(s: Stack): Promise<TransactionReceipt> {
  const client = s.clients(0);
  const topic = keccak256(toHex("ProductPublished(uint256,address,uint8,uint8,uint96,uint8,string,string,string,string,string[])"));
  const code = `0x7f${topic.slice(2)}60016000a100` as Hex;
  const catalogue = s.deployment.contracts.Catalogue.address;
  const original = await client.publicClient.getCode({ address: catalogue });
  await client.publicClient.request<SetCode>({ method: "anvil_setCode", params: [catalogue, code] });
  const hash = await client.wallet.sendTransaction({ to: catalogue, data: "0x" });
  const receipt = await client.publicClient.waitForTransactionReceipt({ hash });
  await client.publicClient.request<SetCode>({ method: "anvil_setCode", params: [catalogue, original ?? "0x"] });
  return receipt;
}
