/**
 * ternaryMatmul (formats §3.1): y[t, j] = (Σ_i q[t, i] · w[j, i]) · β / s[t], with w in the ternary-rows layout
 * (byte b of a row holds columns 4b..4b+3, low bits first, code = w + 1). Packed bytes are written by hand here,
 * not produced by packTernaryRows, so a layout bug in either would show.
 */
import { describe, expect, it } from 'vitest';
import { ternaryMatmul } from '../../src/kernels/reference/ternary-matmul.js';

function run(packed: number[], beta: number, q: number[], s: number[], T: number, K: number, N: number): number[] {
  const y = new Float64Array(T * N);
  ternaryMatmul(y, Uint8Array.from(packed), beta, Int8Array.from(q), Float64Array.from(s), T, K, N);
  return [...y];
}

// W (2×4) = [[+1, 0, −1, +1], [−1, −1, 0, +1]]
// row 0 codes [2, 1, 0, 2] → 2 + 1·4 + 0·16 + 2·64 = 134 = 0x86
// row 1 codes [0, 0, 1, 2] → 0 + 0·4 + 1·16 + 2·64 = 144 = 0x90
const W_2x4 = [0x86, 0x90];

describe('ternaryMatmul', () => {
  it('2×4 worked example with β and s', () => {
    // q = [10, −20, 30, 40], β = 0.5, s = 2.
    // row 0: 10 − 0 − 30 + 40 = 20 → 20 · 0.5 / 2 = 5
    // row 1: −10 + 20 + 0 + 40 = 50 → 50 · 0.5 / 2 = 12.5
    expect(run(W_2x4, 0.5, [10, -20, 30, 40], [2], 1, 4, 2)).toEqual([5, 12.5]);
  });

  it('T > 1 rows each use their own activation scale; output is [T, N]', () => {
    // token 0 as above (s = 2); token 1: q = [127, −128, 0, 1], s = 4.
    // row 0: 127 + 0 + 0 + 1 = 128 → 128 · 0.5 / 4 = 16;  row 1: −127 + 128 + 0 + 1 = 2 → 2 · 0.5 / 4 = 0.25
    expect(run(W_2x4, 0.5, [10, -20, 30, 40, 127, -128, 0, 1], [2, 4], 2, 4, 2)).toEqual([5, 12.5, 16, 0.25]);
  });

  it('K not a multiple of 4 (K = 5): the tail column is used and padding bits are ignored', () => {
    // w = [+1, −1, 0, +1, −1]; byte 0 codes [2, 0, 1, 2] → 2 + 0 + 16 + 128 = 146 = 0x92.
    // byte 1: column 4 code 0 in bits 0–1; the three padding slots hold code 2 (0b10101000 = 0xA8) to prove
    // they are ignored → 0xA8.
    // q = [1, 2, 3, 4, 5]: 1 − 2 + 0 + 4 − 5 = −2; β = 3, s = 2 → −2 · 3 / 2 = −3.
    expect(run([0x92, 0xa8], 3, [1, 2, 3, 4, 5], [2], 1, 5, 1)).toEqual([-3]);
  });

  it('K < 4 (no full byte) and N = 3 rows of 1 byte each', () => {
    // K = 3: rows [+1, +1, +1] → codes 2,2,2 → 0x2A; [−1, 0, +1] → 0 + 4 + 32 = 0x24; [0, 0, 0] → 0x15.
    // q = [3, −5, 7], β = 1, s = 1: row 0: 5; row 1: −3 + 0 + 7 = 4; row 2: 0.
    expect(run([0x2a, 0x24, 0x15], 1, [3, -5, 7], [1], 1, 3, 3)).toEqual([5, 4, 0]);
  });

  it('K = 7, T = 2, N = 2: rows are ceil(7/4) = 2 bytes apart', () => {
    // row 0 = [+1, +1, +1, +1, −1, −1, −1] → byte 0 codes 2,2,2,2 = 0xAA; byte 1 codes 0,0,0 = 0x00
    // row 1 = [0, 0, 0, 0, +1, 0, −1]      → byte 0 codes 1,1,1,1 = 0x55; byte 1 codes 2,1,0 = 2 + 4 = 0x06
    // token 0 q = [1, 2, 3, 4, 5, 6, 7]: row 0: 10 − 18 = −8; row 1: 5 − 7 = −2
    // token 1 q = [−1, −1, −1, −1, 2, 2, 2]: row 0: −4 − 6 = −10; row 1: 2 − 2 = 0
    // β = 0.25, s = [1, 0.5]: [−8·0.25, −2·0.25, −10·0.25/0.5, 0] = [−2, −0.5, −5, 0]
    const y = run([0xaa, 0x00, 0x55, 0x06], 0.25, [1, 2, 3, 4, 5, 6, 7, -1, -1, -1, -1, 2, 2, 2], [1, 0.5], 2, 7, 2);
    expect(y).toEqual([-2, -0.5, -5, 0]);
  });

  it('the integer accumulation is exact at the extremes (K = 4096, q = −128, w = +1)', () => {
    // Σ = −128 · 4096 = −524288, β = s = 1.
    const K = 4096;
    const y = run(new Array<number>(K / 4).fill(0xaa), 1, new Array<number>(K).fill(-128), [1], 1, K, 1);
    expect(y).toEqual([-524288]);
  });
});
