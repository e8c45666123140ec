/**
 * Embedding lookup (formats §4.2): out[t, :] = E[id_t, :], a plain row gather without quantisation.
 * table: [V, d] float32 (exact file values); out: [T, d] float64. Ids are checked by the caller.
 */
export function embed(out: Float64Array, table: Float32Array, ids: Int32Array, d: number): void {
  for (let t = 0; t < ids.length; t++) {
    const src = ids[t] * d;
    for (let i = 0; i < d; i++) out[t * d + i] = table[src + i];
  }
}
