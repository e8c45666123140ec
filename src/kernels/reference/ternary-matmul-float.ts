/**
 * Ternary product with unquantised activations (what llama.cpp computes for F16/F32 BitNet weights):
 * y[t, j] = β · Σ_i x[t, i] · w[j, i]. w: [N, K] ternary-rows layout; x: [T, K] float64; y: [T, N]. float64.
 */
import { ternaryRowBytes } from '../../formats/ternary-rows.js';

export function ternaryMatmulFloat(y: Float64Array, packed: Uint8Array, beta: number, x: Float64Array, T: number, K: number, N: number): void {
  const rowBytes = ternaryRowBytes(K);
  for (let j = 0; j < N; j++) {
    const w = j * rowBytes;
    for (let t = 0; t < T; t++) {
      let acc = 0;
      for (let i = 0; i < K; i++) acc += x[t * K + i] * (((packed[w + (i >> 2)] >> (2 * (i & 3))) & 3) - 1);
      y[t * N + j] = acc * beta;
    }
  }
}
