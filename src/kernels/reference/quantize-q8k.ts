/**
 * llama.cpp's Q8_K activation quantisation, per 256-element block (formats §3.3 and §8; golden/llamacpp README §5.1),
 * computed in float32 exactly as llama.cpp does: the activations are float32 there, so x is rounded to float32;
 * m = the element of largest |x| keeping its sign (the first on ties); if m = 0 then q = 0 and d = 0; otherwise
 * iscale = −127 / m, q_j = min(127, roundHalfEven(iscale · x_j)), d = 1 / iscale (all float32 operations).
 * x: [T, K] float64 with K a multiple of 256; q: [T, K] int8; d: [T, K / 256].
 */
import { roundHalfToEven } from './quantize-activations.js';

export const Q8K_BLOCK = 256;

export function quantizeQ8K(q: Int8Array, d: Float64Array, x: Float64Array, T: number, K: number): void {
  const blocks = K / Q8K_BLOCK;
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < blocks; b++) {
      const start = t * K + b * Q8K_BLOCK;
      let amax = 0;
      let max = 0;
      for (let j = 0; j < Q8K_BLOCK; j++) {
        const v = Math.fround(x[start + j]);
        if (Math.abs(v) > amax) {
          amax = Math.abs(v);
          max = v;
        }
      }
      if (amax === 0) {
        q.fill(0, start, start + Q8K_BLOCK);
        d[t * blocks + b] = 0;
        continue;
      }
      // Math.fround of a float64 product or quotient of float32 values is the float32 operation itself.
      const iscale = Math.fround(-127 / max);
      for (let j = 0; j < Q8K_BLOCK; j++) {
        q[start + j] = Math.min(127, roundHalfToEven(Math.fround(iscale * Math.fround(x[start + j]))));
      }
      d[t * blocks + b] = Math.fround(1 / iscale);
    }
  }
}
