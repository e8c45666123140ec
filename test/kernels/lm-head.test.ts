/** lmHead (formats §4.2 head): logits[t, v] = Σ_i E[v, i] · x[t, i], no quantisation. */
import { describe, expect, it } from 'vitest';
import { lmHead } from '../../src/kernels/reference/lm-head.js';

describe('lmHead', () => {
  it('T = 2, V = 3, d = 2 by hand; output is [T, V]', () => {
    // E = [[1, 2], [3, 4], [5, 6]]
    // x0 = [1, 0] → [1, 3, 5];  x1 = [2, 1] → [2 + 2, 6 + 4, 10 + 6] = [4, 10, 16]
    const out = new Float64Array(6);
    lmHead(out, Float32Array.from([1, 2, 3, 4, 5, 6]), Float64Array.from([1, 0, 2, 1]), 2, 2, 3);
    expect([...out]).toEqual([1, 3, 5, 4, 10, 16]);
  });

  it('uses the full-precision activations (no int8 quantisation)', () => {
    // E = [[1, 1, 1]], x = [0.001, 1, −0.5] → 0.501; an absmax int8 round trip would give round(0.127)=0 → 0.5.
    const out = new Float64Array(1);
    lmHead(out, Float32Array.from([1, 1, 1]), Float64Array.from([0.001, 1, -0.5]), 1, 3, 1);
    expect(out[0]).toBeCloseTo(0.501, 15);
  });
});
