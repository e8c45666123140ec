/** reluSqMul (formats §4.2 step 8, relu²): out_i = max(gate_i, 0)² · up_i. */
import { describe, expect, it } from 'vitest';
import { reluSqMul } from '../../src/kernels/reference/relu-sq-mul.js';

describe('reluSqMul', () => {
  it('squares the positive part of the gate and multiplies by up', () => {
    // gate [−2, 0, 3, 0.5, −0.1], up [5, 7, 2, −4, 100]:
    // [0·5, 0·7, 9·2, 0.25·(−4), 0·100] = [0, 0, 18, −1, 0]
    const out = new Float64Array(5);
    reluSqMul(out, Float64Array.from([-2, 0, 3, 0.5, -0.1]), Float64Array.from([5, 7, 2, -4, 100]), 5);
    expect([...out].map((v) => v + 0)).toEqual([0, 0, 18, -1, 0]);
  });

  it('writes only the first n elements', () => {
    const out = Float64Array.from([-1, -1, -1]);
    reluSqMul(out, Float64Array.from([2, 2, 2]), Float64Array.from([1, 1, 1]), 2);
    expect([...out]).toEqual([4, 4, -1]);
  });
});
