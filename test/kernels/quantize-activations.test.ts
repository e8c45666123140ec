/**
 * quantizeActivations / roundHalfToEven (formats §3.1): a = max(max|x|, 1e-5), s = 127/a,
 * q = clamp(roundHalfEven(x·s), −128, 127). Every expected value below is worked by hand.
 */
import { describe, expect, it } from 'vitest';
import { ACTIVATION_EPS, quantizeActivations, roundHalfToEven } from '../../src/kernels/reference/quantize-activations.js';

function quantize(x: number[], T: number, K: number): { q: number[]; s: number[] } {
  const q = new Int8Array(T * K);
  const s = new Float64Array(T);
  quantizeActivations(q, s, Float64Array.from(x), T, K);
  return { q: [...q], s: [...s] };
}

describe('roundHalfToEven', () => {
  it('rounds exact halves to the even neighbour, positive and negative', () => {
    // (value, expected): ties go to the even integer; `+ 0` folds −0 into +0 (an int8 cannot hold −0 anyway).
    const cases: [number, number][] = [
      [0.5, 0], [1.5, 2], [2.5, 2], [3.5, 4], [126.5, 126], [127.5, 128],
      [-0.5, 0], [-1.5, -2], [-2.5, -2], [-3.5, -4], [-63.5, -64], [-126.5, -126],
    ];
    for (const [v, want] of cases) expect(roundHalfToEven(v) + 0, `round(${v})`).toBe(want);
  });

  it('rounds non-halves to the nearest integer and leaves integers alone', () => {
    const cases: [number, number][] = [
      [0, 0], [7, 7], [-7, -7], [2.4999999999999996, 2], [2.5000000000000004, 3],
      [-2.4999999999999996, -2], [-2.5000000000000004, -3], [0.49999999999999994, 0], [-0.7, -1], [15.875, 16],
    ];
    for (const [v, want] of cases) expect(roundHalfToEven(v) + 0, `round(${v})`).toBe(want);
  });
});

describe('quantizeActivations', () => {
  it('worked vector x = [1, −2, 0.5, 4]', () => {
    // a = 4, s = 127/4 = 31.75; x·s = [31.75, −63.5, 15.875, 127] → [32, −64 (tie → even), 16, 127].
    const { q, s } = quantize([1, -2, 0.5, 4], 1, 4);
    expect(s).toEqual([31.75]);
    expect(q).toEqual([32, -64, 16, 127]);
  });

  it('exact ties with s = 1 round half to even, including negative halves', () => {
    // a = 127 → s = 1, so q = round(x): 0.5→0, −0.5→0, 1.5→2, −1.5→−2, 2.5→2, −2.5→−2, 3.5→4, −3.5→−4.
    const { q, s } = quantize([127, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 3.5, -3.5], 1, 9);
    expect(s).toEqual([1]);
    expect(q).toEqual([127, 0, 0, 2, -2, 2, -2, 4, -4]);
  });

  it('the largest magnitude maps to ±127, so −128 is never produced', () => {
    // x = [−4, 4, −2]: a = 4, s = 31.75 → [−127, 127, −63.5 → −64].
    expect(quantize([-4, 4, -2], 1, 3).q).toEqual([-127, 127, -64]);
    // Only negative: a = 8, s = 15.875 → [−127, −15.875 → −16, 0].
    expect(quantize([-8, -1, 0], 1, 3)).toEqual({ q: [-127, -16, 0], s: [15.875] });
  });

  it('an all-zero token gives q = 0 and s = 127 / 1e-5 (the epsilon clamp)', () => {
    expect(ACTIVATION_EPS).toBe(1e-5);
    const { q, s } = quantize([0, 0, 0, 0], 1, 4);
    expect(q).toEqual([0, 0, 0, 0]);
    expect(s).toEqual([127 / 1e-5]);
  });

  it('the epsilon also clamps tiny non-zero tokens', () => {
    // max|x| = 1e-6 < 1e-5, so a = 1e-5 and s = 1.27e7; x·s = ±12.7 (up to float error) → ±13, not ±127.
    const { q, s } = quantize([1e-6, -1e-6, 0], 1, 3);
    expect(s).toEqual([127 / 1e-5]);
    expect(q).toEqual([13, -13, 0]);
  });

  it('scales each token (row) separately', () => {
    // Row 0 all zero (s = 127/1e-5); row 1 the worked vector (s = 31.75); row 2: a = 0.5, s = 254,
    // x·s = [127, −63.5 → −64, 0.25·254 = 63.5 → 64, 0].
    const { q, s } = quantize([0, 0, 0, 0, 1, -2, 0.5, 4, 0.5, -0.25, 0.25, 0], 3, 4);
    expect(s).toEqual([127 / 1e-5, 31.75, 254]);
    expect(q).toEqual([0, 0, 0, 0, 32, -64, 16, 127, 127, -64, 64, 0]);
  });
});
