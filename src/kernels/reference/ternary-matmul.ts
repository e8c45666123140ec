/**
 * BitLinear product (formats §3.1): y[t, j] = (Σ_i q[t, i] · w[j, i]) · β / s[t].
 * w: [N, K] ternary in the ternary-rows layout (byte b of a row holds columns 4b .. 4b+3, low bits first, as
 * code = w + 1) with scale β; q: [T, K] int8; s: [T] activation scales; y: [T, N] float64.
 * The integer sum is exact in int32 (|Σ| ≤ 128 · K < 2^31 for K < 2^24); one float rescale per output.
 */
import { ternaryRowBytes } from '../../formats/ternary-rows.js';

export function ternaryMatmul(
  y: Float64Array,
  packed: Uint8Array,
  beta: number,
  q: Int8Array,
  s: Float64Array,
  T: number,
  K: number,
  N: number,
): void {
  const rowBytes = ternaryRowBytes(K);
  const fullBytes = K >> 2;
  for (let j = 0; j < N; j++) {
    const w = j * rowBytes;
    for (let t = 0; t < T; t++) {
      const x = t * K;
      let acc = 0;
      for (let b = 0; b < fullBytes; b++) {
        const codes = packed[w + b];
        const i = x + 4 * b;
        // Four weights per byte: (code − 1) · q. `| 0` keeps the exact sum in int32 arithmetic.
        acc = (acc +
          q[i] * ((codes & 3) - 1) +
          q[i + 1] * (((codes >> 2) & 3) - 1) +
          q[i + 2] * (((codes >> 4) & 3) - 1) +
          q[i + 3] * ((codes >> 6) - 1)) | 0;
      }
      for (let i = fullBytes * 4; i < K; i++) {
        acc += q[x + i] * (((packed[w + (i >> 2)] >> (2 * (i & 3))) & 3) - 1);
      }
      y[t * N + j] = (acc * beta) / s[t];
    }
  }
}
