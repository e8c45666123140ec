/**
 * lm_head (formats §4.2 head): logits[t, v] = Σ_i E[v, i] · x[t, i], a full-precision product (no quantisation),
 * with E the tied token embedding or a separate output matrix. table: [V, d] float32; x: [T, d]; out: [T, V].
 */
export function lmHead(out: Float64Array, table: Float32Array, x: Float64Array, T: number, d: number, V: number): void {
  for (let v = 0; v < V; v++) {
    const row = v * d;
    for (let t = 0; t < T; t++) {
      let acc = 0;
      for (let i = 0; i < d; i++) acc += table[row + i] * x[t * d + i];
      out[t * V + v] = acc;
    }
  }
}
