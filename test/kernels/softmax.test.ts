/**
 * softmax over x[offset .. offset + n), in place (formats §4.2 step 4): x_j ← exp(x_j − max) / Σ exp(x_k − max).
 */
import { describe, expect, it } from 'vitest';
import { softmax } from '../../src/kernels/reference/softmax.js';

function sm(x: number[], offset = 0, n = x.length): number[] {
  const a = Float64Array.from(x);
  softmax(a, offset, n);
  return [...a];
}

describe('softmax', () => {
  it('[0, ln 3] → [1/4, 3/4]', () => {
    // e^0 = 1, e^ln3 = 3, sum 4.
    const [a, b] = sm([0, Math.log(3)]);
    expect(a).toBeCloseTo(0.25, 15);
    expect(b).toBeCloseTo(0.75, 15);
  });

  it('equal scores are uniform, even when exp would overflow without the max shift', () => {
    // exp(1000) = Infinity in float64; after subtracting the max every term is e^0 = 1.
    expect(sm([1000, 1000, 1000, 1000])).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(sm([-1000, -1000])).toEqual([0.5, 0.5]);
  });

  it('[1, 2, 3] → e^k / (e + e² + e³)', () => {
    // Dividing by e: [1, e, e²] / (1 + e + e²) = [0.09003057…, 0.24472847…, 0.66524096…].
    const e = Math.E;
    const z = 1 + e + e * e;
    const got = sm([1, 2, 3]);
    [1 / z, e / z, (e * e) / z].forEach((w, i) => expect(got[i]).toBeCloseTo(w, 15));
    expect(got[0]).toBeCloseTo(0.09003057317038046, 15);
    expect(got[2]).toBeCloseTo(0.6652409557748219, 15);
  });

  it('only touches [offset, offset + n)', () => {
    // The window [0, ln 3] sits between sentinels that must survive.
    const got = sm([99, 0, Math.log(3), -7], 1, 2);
    expect(got[0]).toBe(99);
    expect(got[3]).toBe(-7);
    expect(got[1]).toBeCloseTo(0.25, 15);
    expect(got[2]).toBeCloseTo(0.75, 15);
  });

  it('a −Infinity score gets weight 0; one element gets weight 1', () => {
    expect(sm([-Infinity, 0])).toEqual([0, 1]);
    expect(sm([42])).toEqual([1]);
  });
});
