/**
 * Residual add: out_i = a_i + b_i (out may alias a or b). float64.
 */
export function add(out: Float64Array, a: Float64Array, b: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = a[i] + b[i];
}
