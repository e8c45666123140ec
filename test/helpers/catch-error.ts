/** Runs `fn` and returns what it threw (fails the test if it returned normally). */
import { expect } from 'vitest';

export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  expect.unreachable('expected the call to throw');
}

export async function rejected(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  expect.unreachable('expected the promise to reject');
}
