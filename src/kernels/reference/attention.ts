/**
 * Causal grouped-query attention over a KV cache (formats §4.2 steps 3–4, §4.4).
 * First appends this call's keys and values at cache positions startPos .. startPos + T − 1, then for query head h
 * (kv head g = h div (H / Hkv)) at position p = startPos + t:
 *   z_j = (q_h · k_g,j) / sqrt(D) for j ≤ p,  α = softmax(z),  o_h = Σ_j α_j v_g,j.
 * q, out: [T, H·D]; k, v: [T, Hkv·D] (k already rotated); kCache, vCache: [capacity, Hkv·D]; scores: scratch of at
 * least startPos + T elements. float64 throughout.
 */
import { softmax } from './softmax.js';

export function attention(
  out: Float64Array,
  q: Float64Array,
  k: Float64Array,
  v: Float64Array,
  kCache: Float64Array,
  vCache: Float64Array,
  T: number,
  startPos: number,
  H: number,
  Hkv: number,
  D: number,
  scores: Float64Array,
): void {
  const kvDim = Hkv * D;
  kCache.set(k.subarray(0, T * kvDim), startPos * kvDim);
  vCache.set(v.subarray(0, T * kvDim), startPos * kvDim);
  const group = H / Hkv;
  const scale = 1 / Math.sqrt(D);
  for (let t = 0; t < T; t++) {
    const n = startPos + t + 1;
    for (let h = 0; h < H; h++) {
      const qo = (t * H + h) * D;
      const kvo = Math.floor(h / group) * D;
      for (let j = 0; j < n; j++) {
        let dot = 0;
        for (let i = 0; i < D; i++) dot += q[qo + i] * kCache[j * kvDim + kvo + i];
        scores[j] = dot * scale;
      }
      softmax(scores, 0, n);
      out.fill(0, qo, qo + D);
      for (let j = 0; j < n; j++) {
        const a = scores[j];
        for (let i = 0; i < D; i++) out[qo + i] += a * vCache[j * kvDim + kvo + i];
      }
    }
  }
}
