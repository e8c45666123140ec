/**
 * rmsnorm (formats §4.2): out = x / sqrt(mean(x²) + eps) · w, per row.
 */
import { describe, expect, it } from 'vitest';
import { rmsnorm } from '../../src/kernels/reference/rmsnorm.js';

function norm(x: number[], w: number[], T: number, K: number, eps: number): number[] {
  const out = new Float64Array(T * K);
  rmsnorm(out, Float64Array.from(x), Float32Array.from(w), T, K, eps, new Float64Array(K));
  return [...out];
}

describe('rmsnorm', () => {
  it('x = [3, 4], eps = 0, w = [1, 2]', () => {
    // mean(x²) = (9 + 16)/2 = 12.5, rms = √12.5 = 5/√2; out = [3√2/5 · 1, 4√2/5 · 2] = [0.84852813742…, 2.26274169979…]
    const [a, b] = norm([3, 4], [1, 2], 1, 2, 0);
    expect(a).toBeCloseTo((3 * Math.SQRT2) / 5, 15);
    expect(b).toBeCloseTo((8 * Math.SQRT2) / 5, 15);
  });

  it('eps is added inside the root', () => {
    // x = [1, 1, 1, 1], eps = 3: mean = 1, rms = √(1 + 3) = 2 → out = 0.5 · w; exact in binary.
    expect(norm([1, 1, 1, 1], [1, 2, -4, 0.5], 1, 4, 3)).toEqual([0.5, 1, -2, 0.25]);
    // An all-zero row with eps > 0 gives zeros, not NaN.
    expect(norm([0, 0], [1, 1], 1, 2, 1e-5)).toEqual([0, 0]);
  });

  it('normalises each row on its own and may work in place', () => {
    // row 0 = [2, 2] → rms 2 → [1, 1]; row 1 = [−6, 8] → mean (36 + 64)/2 = 50, rms = √50 = 5√2
    // → [−6/(5√2), 8/(5√2)] = [−0.6√2, 0.8√2].
    const x = Float64Array.from([2, 2, -6, 8]);
    rmsnorm(x, x, Float32Array.from([1, 1]), 2, 2, 0, new Float64Array(2));
    expect(x[0]).toBe(1);
    expect(x[1]).toBe(1);
    expect(x[2]).toBeCloseTo(-0.6 * Math.SQRT2, 15);
    expect(x[3]).toBeCloseTo(0.8 * Math.SQRT2, 15);
  });

  it('the output RMS equals the weight when w is constant (formats §7 sanity check)', () => {
    // x = [1, 2, 3, 4, 5, 6, 7, 8, 9], w = 3: mean(out²) = 9 exactly in real arithmetic.
    const out = norm([1, 2, 3, 4, 5, 6, 7, 8, 9], new Array<number>(9).fill(3), 1, 9, 0);
    expect(Math.sqrt(out.reduce((s, v) => s + v * v, 0) / 9)).toBeCloseTo(3, 14);
  });
});
