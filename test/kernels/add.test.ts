/** add (residual): out_i = a_i + b_i; out may alias a or b. */
import { describe, expect, it } from 'vitest';
import { add } from '../../src/kernels/reference/add.js';

describe('add', () => {
  it('adds element-wise', () => {
    const out = new Float64Array(3);
    add(out, Float64Array.from([1, 2, 3]), Float64Array.from([10, -20, 0.5]), 3);
    expect([...out]).toEqual([11, -18, 3.5]);
  });

  it('works in place (out = a) and stops at n', () => {
    const a = Float64Array.from([1, 2, 3, 4]);
    add(a, a, Float64Array.from([1, 1, 1, 1]), 3);
    expect([...a]).toEqual([2, 3, 4, 4]);
  });
});
