/**
 * argmaxRows (optional, Backend.argmaxRows: what greedy decoding asks a device backend for instead of the logits):
 * each row's argmax equals src/argmax.ts's — the lowest index of the largest value, NaN never winning unless it is
 * the row's first value — on rows full of ties, ±0, ±infinity and NaN, short and long (several values a thread).
 * Backends without it are marked skipped ("unsupported: …"): the model then takes the argmax of the logits it reads.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { argmax } from '../src/argmax.js';
import { UnsupportedOpError } from '../src/errors.js';
import { forEachBackend } from './backends.js';

/** Values with many ties and every special a float32 holds exactly. */
const value = fc.oneof(
  { arbitrary: fc.integer({ min: -3, max: 3 }), weight: 6 },
  { arbitrary: fc.constantFrom(0, -0, Infinity, -Infinity, Number.NaN, 0.5, -1e30), weight: 2 },
);

const rowsCase = fc
  .record({ rows: fc.integer({ min: 1, max: 4 }), cols: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1000, max: 5000 })) })
  .chain(({ rows, cols }) => fc.record({ rows: fc.constant(rows), cols: fc.constant(cols), data: fc.array(value, { minLength: rows * cols, maxLength: rows * cols }) }));

forEachBackend('argmaxRows', (b) => {
  b.property('each row’s argmax is the lowest index of its largest value (ties, ±0, ±∞, NaN)', rowsCase, async ({ rows, cols, data }) => {
    const backend = b.backend;
    if (backend.argmaxRows === undefined) throw new UnsupportedOpError(b.name, 'argmaxRows', 'optional, not implemented: greedy decoding reads the logits');
    const x = backend.allocate(rows, cols);
    backend.write(x, data);
    const got = await backend.argmaxRows(x);
    const want = Array.from({ length: rows }, (_, r) => argmax(data.slice(r * cols, (r + 1) * cols)));
    expect([...got]).toEqual(want);
  }, { numRuns: 60 });
});
