/**
 * One assertion per array instead of one per element (vitest's expect costs ~µs each; these arrays are long):
 * fails naming the first index where Object.is(got[i], want[i]) is false, so −0 and NaN are compared exactly.
 */
import { expect } from 'vitest';

export function expectSameValues(got: ArrayLike<number>, want: ArrayLike<number>, what = 'values'): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) expect(got[i], `${what}[${i}]`).toBe(want[i]);
  }
}
