/**
 * RMSNorm (formats §4.2): out[t, i] = x[t, i] / sqrt(mean_i(x[t, i]²) + eps) · w[i].
 * x, out: [T, K] float64 (out may alias x); w: [K]; squares: scratch of at least K elements.
 * The operation order (divide by the root, then scale; mean in numpy's pairwise order) is the float64 oracle's:
 * it decides exact-tie roundings in the activation quantisation that follows (docs/numerics.md).
 */
import { pairwiseSum } from './pairwise-sum.js';

export function rmsnorm(out: Float64Array, x: Float64Array, w: Float32Array, T: number, K: number, eps: number, squares: Float64Array): void {
  for (let t = 0; t < T; t++) {
    const row = t * K;
    for (let i = 0; i < K; i++) squares[i] = x[row + i] * x[row + i];
    const rms = Math.sqrt(pairwiseSum(squares, 0, K) / K + eps);
    for (let i = 0; i < K; i++) out[row + i] = (x[row + i] / rms) * w[i];
  }
}
