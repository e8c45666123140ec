/**
 * attention (formats §4.2 steps 3–4, §4.4): appends k, v at positions startPos.., then for query head h
 * (kv head g = h div (H / Hkv)) at position p: z_j = q_h · k_g,j / √D (j ≤ p), α = softmax(z), o_h = Σ α_j v_g,j.
 */
import { describe, expect, it } from 'vitest';
import { attention } from '../../src/kernels/reference/attention.js';

interface Case {
  q: number[];
  k: number[];
  v: number[];
  T: number;
  startPos: number;
  H: number;
  Hkv: number;
  D: number;
  capacity: number;
  kCache?: Float64Array;
  vCache?: Float64Array;
}

function attend(c: Case): { out: number[]; kCache: Float64Array; vCache: Float64Array } {
  const kCache = c.kCache ?? new Float64Array(c.capacity * c.Hkv * c.D);
  const vCache = c.vCache ?? new Float64Array(c.capacity * c.Hkv * c.D);
  const out = new Float64Array(c.T * c.H * c.D);
  attention(out, Float64Array.from(c.q), Float64Array.from(c.k), Float64Array.from(c.v), kCache, vCache, c.T, c.startPos, c.H, c.Hkv, c.D, new Float64Array(c.startPos + c.T));
  return { out: [...out], kCache, vCache };
}

function expectClose(got: number[], want: number[]): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(got[i], `element ${i}`).toBeCloseTo(want[i], 14);
}

const LN3 = Math.log(3);

describe('attention', () => {
  it('one position returns v (softmax of a single score is 1) and fills the cache', () => {
    const { out, kCache, vCache } = attend({ q: [1, 2], k: [3, 4], v: [5, -6], T: 1, startPos: 0, H: 1, Hkv: 1, D: 2, capacity: 2 });
    expect(out).toEqual([5, -6]);
    expect([...kCache]).toEqual([3, 4, 0, 0]);
    expect([...vCache]).toEqual([5, -6, 0, 0]);
  });

  it('two positions with scores [0, ln 3] weight the values 1/4 and 3/4 (D = 4, scale 1/2)', () => {
    // k0 = 0 → z0 = 0; q1 = [2, 0, 0, 0], k1 = [ln3, 0, 0, 0] → z1 = 2·ln3 / √4 = ln3 → α = [1/4, 3/4].
    // v0 = [4, 0, 1, −1], v1 = [8, 4, 1, 3] → o1 = [1 + 6, 0 + 3, 1/4 + 3/4, −1/4 + 9/4] = [7, 3, 1, 2].
    // Position 0 is causal: it sees only itself, so o0 = v0.
    const { out } = attend({
      q: [5, 5, 5, 5, 2, 0, 0, 0],
      k: [0, 0, 0, 0, LN3, 0, 0, 0],
      v: [4, 0, 1, -1, 8, 4, 1, 3],
      T: 2, startPos: 0, H: 1, Hkv: 1, D: 4, capacity: 2,
    });
    expectClose(out, [4, 0, 1, -1, 7, 3, 1, 2]);
  });

  it('decoding one token at a time through the cache gives the same result as the batch', () => {
    const base = { H: 1, Hkv: 1, D: 4, capacity: 3 };
    const first = attend({ ...base, q: [5, 5, 5, 5], k: [0, 0, 0, 0], v: [4, 0, 1, -1], T: 1, startPos: 0 });
    expect(first.out).toEqual([4, 0, 1, -1]);
    const second = attend({
      ...base, q: [2, 0, 0, 0], k: [LN3, 0, 0, 0], v: [8, 4, 1, 3], T: 1, startPos: 1,
      kCache: first.kCache, vCache: first.vCache,
    });
    expectClose(second.out, [7, 3, 1, 2]);
    // The new entries were appended at position 1; the unused position 2 is untouched.
    expect([...second.vCache]).toEqual([4, 0, 1, -1, 8, 4, 1, 3, 0, 0, 0, 0]);
  });

  it('GQA: two query heads share one kv head (H = 2, Hkv = 1, D = 1)', () => {
    // k = [0, ln3], v = [4, 8]; at position 1, head 0 has q = 1 → z = [0, ln3] → α = [1/4, 3/4] → 1 + 6 = 7;
    // head 1 has q = −1 → z = [0, −ln3] → α ∝ [1, 1/3] = [3/4, 1/4] → 3 + 2 = 5. Position 0: both heads → v0 = 4.
    const { out } = attend({ q: [9, -9, 1, -1], k: [0, LN3], v: [4, 8], T: 2, startPos: 0, H: 2, Hkv: 1, D: 1, capacity: 2 });
    expectClose(out, [4, 4, 7, 5]);
  });

  it('GQA grouping is h div (H / Hkv), not h mod Hkv (H = 4, Hkv = 2)', () => {
    // One position: every head returns its kv head's v. Heads 0, 1 → kv 0 (v = 10); heads 2, 3 → kv 1 (v = 20).
    const { out } = attend({ q: [1, 1, 1, 1], k: [1, 1], v: [10, 20], T: 1, startPos: 0, H: 4, Hkv: 2, D: 1, capacity: 1 });
    expect(out).toEqual([10, 10, 20, 20]);
  });
});
