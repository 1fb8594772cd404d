// ABI combinations the dApp needs for decoding: a call into Agreements can revert with the
// token's errors (transferFrom) — include them so viem names them.
import { agreementsAbi, dataTokenAbi } from "@kraken/sdk";

export const agreementsWithTokenErrors = [...agreementsAbi, ...dataTokenAbi.filter((x) => x.type === "error")] as const;
