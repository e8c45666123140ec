/**
 * read (backend.ts): the host copy of a buffer. Not an op, but every backend's, and the engine's decode loop hands
 * its last logits back to be overwritten (`read(x, into)`). Properties: a read into a caller's array returns that
 * array holding exactly what a fresh read returns; an array of the wrong type or length is a ShapeError and is left
 * untouched.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { ShapeError } from '../src/errors.js';
import { activationCase } from './arbitraries.js';
import { forEachBackend, load } from './backends.js';
import { expectExact } from './expect-close.js';

forEachBackend('read', (b) => {
  b.property('into a caller\'s array: that array, holding exactly a fresh read', activationCase, async (x) => {
    const backend = b.backend;
    const buf = load(backend, x);
    const fresh = await backend.read(buf);
    const into = b.precision === 'float64' ? new Float64Array(x.data.length).fill(Number.NaN) : new Float32Array(x.data.length).fill(Number.NaN);
    const got = await backend.read(buf, into);
    expect(got).toBe(into);
    expectExact('read into', got, fresh, x.cols);
  });

  b.property(
    'an array of the wrong type or length is a ShapeError and stays untouched',
    fc.tuple(activationCase, fc.constantFrom('type', 'short', 'long')),
    async ([x, wrong]) => {
      const backend = b.backend;
      const buf = load(backend, x);
      const n = x.data.length + (wrong === 'short' ? -1 : wrong === 'long' ? 1 : 0);
      const own = b.precision === 'float64' ? Float64Array : Float32Array;
      const other = b.precision === 'float64' ? Float32Array : Float64Array;
      const into = new (wrong === 'type' ? other : own)(n).fill(7);
      await expect(backend.read(buf, into)).rejects.toBeInstanceOf(ShapeError);
      expect(Array.from(into).every((v) => v === 7)).toBe(true);
    },
    { numRuns: 20 },
  );
});
