/**
 * relu²-gated product (formats §4.2 step 8, 2B-4T): out_i = max(gate_i, 0)² · up_i. All arrays length n, float64.
 */
export function reluSqMul(out: Float64Array, gate: Float64Array, up: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const r = gate[i] > 0 ? gate[i] : 0;
    out[i] = r * r * up[i];
  }
}
