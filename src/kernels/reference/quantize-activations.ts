/**
 * Per-token absmax int8 activation quantisation (formats §3.1):
 *   a = max(max_i |x_i|, 1e-5),  s = 127 / a,  q_i = clamp(roundHalfEven(x_i · s), −128, 127).
 * x: [T, K] float64 → q: [T, K] int8 and scale: [T] holding s (so that x ≈ q / s). Accumulates in float64.
 */

/** Round half to even (PyTorch / numpy `round`), exact for every finite double. */
export function roundHalfToEven(v: number): number {
  const f = Math.floor(v);
  const diff = v - f;
  if (diff < 0.5) return f;
  if (diff > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

export const ACTIVATION_EPS = 1e-5;

export function quantizeActivations(q: Int8Array, scale: Float64Array, x: Float64Array, T: number, K: number): void {
  for (let t = 0; t < T; t++) {
    const row = t * K;
    let a = 0;
    for (let i = 0; i < K; i++) a = Math.max(a, Math.abs(x[row + i]));
    const s = 127 / Math.max(a, ACTIVATION_EPS);
    scale[t] = s;
    for (let i = 0; i < K; i++) q[row + i] = Math.min(127, Math.max(-128, roundHalfToEven(x[row + i] * s)));
  }
}
