// decodeMarketError: one decoding of failed marketplace calls for the CLI and the dApp.
import { describe, expect, it } from "vitest";
import { ContractFunctionExecutionError, ContractFunctionRevertedError, encodeErrorResult, UserRejectedRequestError, type Hex } from "viem";
import { agreementsWithTokenErrorsAbi, catalogueAbi, decodeMarketError, isKrakenError, KrakenError, PricingUnit, Verdict } from "../src/index.ts";
import { DeliveryError } from "../src/delivery/errors.ts";
import { SsiError } from "../src/ssi/errors.ts";

/** What viem throws when a simulated call into Agreements reverts with `errorName(args)`. */
function reverted(errorName: string, args: readonly unknown[]): ContractFunctionExecutionError {
  const data = encodeErrorResult({ abi: agreementsWithTokenErrorsAbi, errorName, args } as never) as Hex;
  const cause = new ContractFunctionRevertedError({ abi: agreementsWithTokenErrorsAbi, data, functionName: "requestAccess" });
  return new ContractFunctionExecutionError(cause, { abi: agreementsWithTokenErrorsAbi, functionName: "requestAccess", args: [], contractAddress: "0x0000000000000000000000000000000000000001" });
}

describe("decodeMarketError", () => {
  it("names eligibility verdicts with their Verdict, and a missing product as not-found", () => {
    expect(decodeMarketError(reverted("ConsentRetracted", [7n, "0x0000000000000000000000000000000000000002"]))).toMatchObject({ kind: "not-eligible", name: "ConsentRetracted", verdict: Verdict.ConsentRetracted });
    expect(decodeMarketError(reverted("ProductNotFound", [9n]))).toMatchObject({ kind: "not-found", verdict: Verdict.ProductNotFound, args: [9n] });
  });

  it("sorts the other contract errors, the token's included, by what the user can do", () => {
    expect(decodeMarketError(reverted("PricingUnitChanged", [1n, PricingUnit.Month, PricingUnit.Hour]))).toMatchObject({ kind: "terms-changed", args: [1n, PricingUnit.Month, PricingUnit.Hour] });
    expect(decodeMarketError(reverted("PriceAboveMax", [10n, 5n])).kind).toBe("terms-changed");
    expect(decodeMarketError(reverted("ERC20InsufficientAllowance", ["0x0000000000000000000000000000000000000003", 0n, 5n])).kind).toBe("insufficient-funds");
    expect(decodeMarketError(reverted("AlreadyHasAccess", [3n])).kind).toBe("conflict");
    expect(decodeMarketError(reverted("PeriodsAboveMax", [400, 366n])).kind).toBe("invalid-input");
    expect(decodeMarketError(reverted("NotConsumer", [3n, "0x0000000000000000000000000000000000000004"])).kind).toBe("not-allowed");
    expect(decodeMarketError(reverted("InvalidEnvelopeHash", [])).kind).toBe("reverted");
  });

  it("sorts the anonymisation report's refusals (Catalogue.reportAnonymisation) as invalid input", () => {
    const catalogueReverted = (errorName: string, args: readonly unknown[]) => {
      const data = encodeErrorResult({ abi: catalogueAbi, errorName, args } as never) as Hex;
      const cause = new ContractFunctionRevertedError({ abi: catalogueAbi, data, functionName: "reportAnonymisation" });
      return new ContractFunctionExecutionError(cause, { abi: catalogueAbi, functionName: "reportAnonymisation", args: [], contractAddress: "0x0000000000000000000000000000000000000001" });
    };
    expect(decodeMarketError(catalogueReverted("NotAnonymisedBatch", [4n]))).toMatchObject({ kind: "invalid-input", name: "NotAnonymisedBatch", args: [4n] });
    expect(decodeMarketError(catalogueReverted("InvalidAnonymisation", []))).toMatchObject({ kind: "invalid-input", name: "InvalidAnonymisation" });
    expect(decodeMarketError(catalogueReverted("InvalidMetadataURI", [])).kind).toBe("invalid-input");
    expect(decodeMarketError(catalogueReverted("NotSeller", [4n, "0x0000000000000000000000000000000000000002"])).kind).toBe("not-allowed");
  });

  it("recognises a wallet refusal, an unreachable chain, and anything else", () => {
    expect(decodeMarketError(new UserRejectedRequestError(new Error("User rejected the request.")))).toMatchObject({ kind: "rejected" });
    expect(decodeMarketError(new Error("fetch failed"))).toMatchObject({ kind: "network", detail: "fetch failed" });
    expect(decodeMarketError("boom")).toMatchObject({ kind: "unknown", detail: "boom" });
  });
});

describe("KrakenError", () => {
  it("is the one base of the SDK's typed errors, each keeping its stable code and name", () => {
    const errors = [new SsiError("challenge-expired", "expired"), new DeliveryError("shares-timeout", "late"), new KrakenError("x", "y")];
    for (const e of errors) expect(e).toBeInstanceOf(KrakenError);
    expect(errors.map((e) => [e.name, e.code])).toEqual([["SsiError", "challenge-expired"], ["DeliveryError", "shares-timeout"], ["KrakenError", "x"]]);
    expect(isKrakenError(errors[0], "challenge-expired")).toBe(true);
    expect(isKrakenError(errors[0], "other")).toBe(false);
    expect(isKrakenError(new Error("plain"))).toBe(false);
  });
});
