/**
 * rope, half-split form (formats §4.3): θ_i(p) = p · base^(−2i/D); pairs (i, i + D/2).
 */
import { describe, expect, it } from 'vitest';
import { rope } from '../../src/kernels/reference/rope.js';

function rotate(x: number[], T: number, H: number, D: number, startPos: number, base: number): number[] {
  const a = Float64Array.from(x);
  rope(a, T, H, D, startPos, base);
  return [...a];
}

/** Expected half-split rotation of one D = 4 head by hand-given angles θ0, θ1 (pairs (0,2) and (1,3)). */
function byHand(x: number[], th0: number, th1: number): number[] {
  const [x0, x1, x2, x3] = x;
  return [
    x0 * Math.cos(th0) - x2 * Math.sin(th0),
    x1 * Math.cos(th1) - x3 * Math.sin(th1),
    x2 * Math.cos(th0) + x0 * Math.sin(th0),
    x3 * Math.cos(th1) + x1 * Math.sin(th1),
  ];
}

function expectClose(got: number[], want: number[]): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(got[i], `element ${i}`).toBeCloseTo(want[i], 13);
}

describe('rope (half-split)', () => {
  it('position 0 is the identity', () => {
    expect(rotate([1, 2, 3, 4], 1, 1, 4, 0, 10000)).toEqual([1, 2, 3, 4]);
  });

  it('position 1, D = 4, base 10000: θ0 = 1, θ1 = 10000^(−1/2) = 0.01', () => {
    // x = [1, 2, 3, 4]; pairs (x0, x2) rotate by 1 rad and (x1, x3) by 0.01 rad:
    // x'0 = cos1 − 3 sin1 ≈ 0.540302 − 2.524413 = −1.984111;  x'2 = 3 cos1 + sin1 ≈ 1.620907 + 0.841471 = 2.462378
    // x'1 = 2 cos0.01 − 4 sin0.01 ≈ 1.999900 − 0.039999 = 1.959901;  x'3 = 4 cos0.01 + 2 sin0.01 ≈ 3.999800 + 0.020000 = 4.019800
    // The same four numbers from python3's math.cos / math.sin: [−1.9841106485555495, 1.959900667496664,
    // 2.4623779024123156, 4.019799668334994].
    const got = rotate([1, 2, 3, 4], 1, 1, 4, 1, 10000);
    expectClose(got, byHand([1, 2, 3, 4], 1, 0.01));
    expectClose(got, [-1.9841106485555495, 1.959900667496664, 2.4623779024123156, 4.019799668334994]);
  });

  it('token t of a batch sits at position startPos + t, and every head gets the same rotation', () => {
    // T = 2, H = 2, D = 4, startPos = 1: token 0 at p = 1 (θ = 1, 0.01), token 1 at p = 2 (θ = 2, 0.02).
    const h0 = [1, 2, 3, 4];
    const h1 = [-1, 0.5, 0, 2];
    const got = rotate([...h0, ...h1, ...h0, ...h1], 2, 2, 4, 1, 10000);
    expectClose(got, [...byHand(h0, 1, 0.01), ...byHand(h1, 1, 0.01), ...byHand(h0, 2, 0.02), ...byHand(h1, 2, 0.02)]);
  });

  it('base 4, D = 4 at p = 3: θ0 = 3, θ1 = 3 · 4^(−1/2) = 1.5', () => {
    expectClose(rotate([0.5, -1, 2, 3], 1, 1, 4, 3, 4), byHand([0.5, -1, 2, 3], 3, 1.5));
  });

  it('preserves the length of every rotated pair', () => {
    const x = [3, -7, 4, 24];
    const got = rotate(x, 1, 1, 4, 123, 500000);
    expect(Math.hypot(got[0], got[2])).toBeCloseTo(5, 13); // |(3, 4)| = 5
    expect(Math.hypot(got[1], got[3])).toBeCloseTo(25, 13); // |(−7, 24)| = 25
  });
});
