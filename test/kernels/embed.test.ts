/** embed (formats §4.2): out[t, :] = E[id_t, :], a plain row gather without quantisation. */
import { describe, expect, it } from 'vitest';
import { embed } from '../../src/kernels/reference/embed.js';

describe('embed', () => {
  it('gathers rows by id, repeats allowed', () => {
    // E (V = 3, d = 2) = [[1, 2], [3, 4], [5, 6]]; ids [2, 0, 2] → [5, 6, 1, 2, 5, 6].
    const out = new Float64Array(6);
    embed(out, Float32Array.from([1, 2, 3, 4, 5, 6]), Int32Array.from([2, 0, 2]), 2);
    expect([...out]).toEqual([5, 6, 1, 2, 5, 6]);
  });

  it('copies the float32 table value exactly (no rounding to a nicer double)', () => {
    // 0.1 is stored as float32 0.100000001490116119384765625 = 13421773 · 2^−27; the output is that value.
    const out = new Float64Array(1);
    embed(out, Float32Array.from([0.1]), Int32Array.from([0]), 1);
    expect(out[0]).toBe(13421773 * 2 ** -27);
    expect(out[0]).not.toBe(0.1);
  });
});
