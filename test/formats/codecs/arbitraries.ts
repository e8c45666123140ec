/**
 * Shared fast-check inputs for the TQ codecs' round trips: 1–4 rows of 1–3 whole 256-element blocks of ternary
 * values, and a positive scale.
 */
import fc from 'fast-check';

export interface TqCase {
  readonly rows: number;
  readonly cols: number;
  readonly t: number[];
  readonly scale: number;
}

export const tqCase: fc.Arbitrary<TqCase> = fc
  .record({ rows: fc.integer({ min: 1, max: 4 }), blocks: fc.integer({ min: 1, max: 3 }) })
  .chain(({ rows, blocks }) =>
    fc.record({
      rows: fc.constant(rows),
      cols: fc.constant(256 * blocks),
      t: fc.array(fc.integer({ min: -1, max: 1 }), { minLength: rows * 256 * blocks, maxLength: rows * 256 * blocks }),
      scale: fc.float({ min: Math.fround(1e-4), max: 1000, noNaN: true }),
    }),
  );
