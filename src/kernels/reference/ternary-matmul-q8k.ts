/**
 * Ternary product over Q8_K activations, in the float64 oracle's form (golden/llamacpp README §6, profile q8k):
 * each activation is dequantised to float32, x'[t, i] = float32(q[t, i] · d[t, b]) for i in 256-block b, then
 * y[t, j] = β · Σ_i x'[t, i] · w[j, i] in float64. llama.cpp itself sums d_w · d · (Σ_b q · t) in float32; the two
 * differ by float32 rounding, ~5e-7 in these logits (measured; docs/numerics.md).
 * w: [N, K] ternary-rows layout; q: [T, K]; d: [T, K / 256]; y: [T, N]; dequantized: scratch of T · K.
 */
import { Q8K_BLOCK } from './quantize-q8k.js';
import { ternaryMatmulFloat } from './ternary-matmul-float.js';

export function ternaryMatmulQ8K(
  y: Float64Array,
  packed: Uint8Array,
  beta: number,
  q: Int8Array,
  d: Float64Array,
  T: number,
  K: number,
  N: number,
  dequantized: Float64Array,
): void {
  for (let i = 0; i < T * K; i++) dequantized[i] = Math.fround(q[i] * d[Math.floor(i / Q8K_BLOCK)]);
  ternaryMatmulFloat(y, packed, beta, dequantized, T, K, N);
}
