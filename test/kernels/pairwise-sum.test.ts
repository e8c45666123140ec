/**
 * pairwiseSum: Σ a[offset .. offset + n) in numpy's pairwise order (eight partial sums for n ≤ 128, halving at
 * multiples of 8 above that).
 */
import { describe, expect, it } from 'vitest';
import { pairwiseSum } from '../../src/kernels/reference/pairwise-sum.js';

function sum(values: number[], offset = 0, n = values.length - offset): number {
  return pairwiseSum(Float64Array.from(values), offset, n);
}

/** a[i] = ±(1e6 + i)/(i + 3), except every 7th element (i % 7 == 0) which is 1e15/(i + 1). */
function mixed(n: number): number[] {
  const a: number[] = [];
  for (let i = 0; i < n; i++) a.push(i % 7 !== 0 ? ((i % 2 === 0 ? 1 : -1) * (1e6 + i)) / (i + 3) : 1e15 / (i + 1));
  return a;
}

describe('pairwiseSum', () => {
  it('equals the exact value for integer inputs of every size class', () => {
    // 1 + 2 + … + n = n(n + 1)/2, exact in float64 for these sizes.
    for (const n of [0, 1, 7, 8, 9, 15, 16, 17, 127, 128, 129, 136, 255, 256, 1000, 4097]) {
      const a = Array.from({ length: n }, (_, i) => i + 1);
      expect(sum(a), `n = ${n}`).toBe((n * (n + 1)) / 2);
    }
  });

  it('sums only the window [offset, offset + n)', () => {
    // [100, 1, 2, …, 20, 100]: window offset 1, n 20 → 210.
    const a = [100, ...Array.from({ length: 20 }, (_, i) => i + 1), 100];
    expect(sum(a, 1, 20)).toBe(210);
  });

  it('order matters: [2^53, 1 × 8] sums to 2^53 + 8 pairwise but 2^53 left to right', () => {
    // Left to right every 2^53 + 1 is a tie and rounds to even (2^53), so the ones vanish.
    // Pairwise (n = 9): r0..r7 = a[0..7]; (r0 + r1 + (r2 + r3)) = (2^53 + 1 → 2^53) + 2 = 2^53 + 2;
    // (r4 + r5 + (r6 + r7)) = 4; total 2^53 + 6; + a[8] = 2^53 + 7, a tie between 2^53 + 6 (mantissa odd)
    // and 2^53 + 8 (even) → 2^53 + 8. numpy: np.sum(np.array([2.0**53] + [1.0]*8)) == 9007199254741000.0 == 2^53 + 8.
    const a = [2 ** 53, 1, 1, 1, 1, 1, 1, 1, 1];
    expect(a.reduce((s, v) => s + v, 0)).toBe(2 ** 53);
    expect(sum(a)).toBe(2 ** 53 + 8);
  });

  it("matches numpy's np.sum where the order changes the last bits (n = 100, 129, 300)", () => {
    // Expected values from python3 with numpy 2.4.6:
    //   b = np.array([((-1)**i)*(1e6+i)/(i+3) if i%7 else 1e15/(i+1) for i in range(n)]); repr(float(np.sum(b)))
    // A plain left-to-right loop gives 1435446723100903.5, 1469937591978232.5 and 1588123276713860.5 instead.
    expect(sum(mixed(100))).toBe(1435446723100902.5);
    expect(sum(mixed(129))).toBe(1469937591978231.8);
    expect(sum(mixed(300))).toBe(1588123276713860.0);
    expect(mixed(300).reduce((s, v) => s + v, 0)).toBe(1588123276713860.5);
  });
});
