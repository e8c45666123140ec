/**
 * SiLU-gated product (formats §4.2 step 8, 1bitLLM models): out_i = gate_i · sigmoid(gate_i) · up_i. float64.
 */
export function siluMul(out: Float64Array, gate: Float64Array, up: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = (gate[i] / (1 + Math.exp(-gate[i]))) * up[i];
}
