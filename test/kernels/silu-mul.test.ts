/** siluMul (formats §4.2 step 8, SiLU): out_i = gate_i · sigmoid(gate_i) · up_i. */
import { describe, expect, it } from 'vitest';
import { siluMul } from '../../src/kernels/reference/silu-mul.js';

describe('siluMul', () => {
  it('hand-worked values at g = 0, ±ln 3 and a large negative gate', () => {
    // σ(0) = 1/2 → 0 · … = 0; σ(ln3) = 1/(1 + 1/3) = 3/4 → ln3 · 3/4 · 2 = 1.5 ln3;
    // σ(−ln3) = 1/(1 + 3) = 1/4 → −ln3 · 1/4 · 4 = −ln3; σ(−800) underflows: −800 / (1 + e^800 = ∞) → −0, times 1.
    const ln3 = Math.log(3);
    const out = new Float64Array(4);
    siluMul(out, Float64Array.from([0, ln3, -ln3, -800]), Float64Array.from([5, 2, 4, 1]), 4);
    expect(out[0]).toBe(0);
    expect(out[1]).toBeCloseTo(1.5 * ln3, 15);
    expect(out[2]).toBeCloseTo(-ln3, 15);
    expect(out[3] + 0).toBe(0);
  });

  it('a large positive gate passes through (σ → 1)', () => {
    // σ(50) = 1/(1 + e^−50) = 1 − 1.9e−22, which is 1 in float64 → 50 · 3.
    const out = new Float64Array(1);
    siluMul(out, Float64Array.from([50]), Float64Array.from([3]), 1);
    expect(out[0]).toBe(150);
  });
});
