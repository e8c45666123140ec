/**
 * Softmax over x[offset .. offset + n), in place: x_j ← exp(x_j − max) / Σ_k exp(x_k − max). float64.
 */
export function softmax(x: Float64Array, offset: number, n: number): void {
  let max = -Infinity;
  for (let j = 0; j < n; j++) max = Math.max(max, x[offset + j]);
  let sum = 0;
  for (let j = 0; j < n; j++) {
    const e = Math.exp(x[offset + j] - max);
    x[offset + j] = e;
    sum += e;
  }
  for (let j = 0; j < n; j++) x[offset + j] /= sum;
}
