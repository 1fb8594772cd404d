// estimateRefund: the refund clients show before a seller terminates, by the contract's rule
// (Agreements.terminate): time-based pro rata to the time left, one-time all or nothing.
import { describe, expect, it } from "vitest";
import { estimateRefund } from "../src/refund.ts";

const DATA = 10n ** 18n;

describe("estimateRefund", () => {
  const sub = { amount: 96n * DATA, startsAt: 1_000_000, endsAt: 1_000_000 + 48 * 3600, delivered: false };

  it("refunds a subscription pro rata to the time left, rounding down like the contract", () => {
    expect(estimateRefund(sub, sub.startsAt)).toBe(96n * DATA);
    expect(estimateRefund(sub, sub.startsAt + 12 * 3600)).toBe(72n * DATA);
    expect(estimateRefund(sub, sub.startsAt + 1)).toBe((96n * DATA * (48n * 3600n - 1n)) / (48n * 3600n));
    expect(estimateRefund({ ...sub, amount: 10n }, sub.startsAt + 7)).toBe(9n); // 10 × 172793 / 172800 = 9.99… → 9
  });

  it("refunds nothing once the end has passed, and never more than was paid", () => {
    expect(estimateRefund(sub, sub.endsAt)).toBe(0n);
    expect(estimateRefund(sub, sub.endsAt + 1)).toBe(0n);
    expect(estimateRefund(sub, sub.startsAt - 100)).toBe(96n * DATA);
  });

  it("one-time products: everything until a delivery was recorded, nothing after", () => {
    const once = { amount: 250n * DATA, startsAt: 1_000_000n, endsAt: 0n, delivered: false };
    expect(estimateRefund(once, 2_000_000n)).toBe(250n * DATA);
    expect(estimateRefund({ ...once, delivered: true }, 2_000_000n)).toBe(0n);
  });
});
