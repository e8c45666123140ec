/**
 * The engine's ternary-rows layout: row-major [rows, cols], each row ceil(cols/4) bytes; column c in byte c >> 2
 * at bits 2·(c & 3), low bits first, as code = t + 1.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packTernaryRows, ternaryRowBytes, unpackTernaryRow, unpackTernaryRows } from '../../src/formats/ternary-rows.js';

describe('ternary-rows layout', () => {
  it('row bytes are ceil(cols / 4)', () => {
    expect([0, 1, 3, 4, 5, 8, 9, 2560, 6913].map(ternaryRowBytes)).toEqual([0, 1, 1, 1, 2, 2, 3, 640, 1729]);
  });

  it('packs a 2×5 matrix by hand (cols not a multiple of 4)', () => {
    // row 0 = [+1, 0, −1, +1, −1]: codes [2, 1, 0, 2 | 0] → byte 0 = 2 + 4 + 0 + 128 = 0x86, byte 1 = 0x00
    // row 1 = [0, 0, 0, 0, +1]:   codes [1, 1, 1, 1 | 2] → byte 0 = 1 + 4 + 16 + 64 = 0x55, byte 1 = 0x02
    const t = Int8Array.from([1, 0, -1, 1, -1, 0, 0, 0, 0, 1]);
    const packed = packTernaryRows(t, 2, 5);
    expect([...packed]).toEqual([0x86, 0x00, 0x55, 0x02]);
    const row = new Int8Array(5);
    unpackTernaryRow(row, packed, 1, 5);
    expect([...row]).toEqual([0, 0, 0, 0, 1]);
    unpackTernaryRow(row, packed, 0, 5);
    expect([...row]).toEqual([1, 0, -1, 1, -1]);
  });

  it('unpacks a hand-made byte and ignores padding bits', () => {
    // cols = 3: 0b11_10_01_00 → codes 0, 1, 2 (code 3 in the padding slot is not read) → [−1, 0, +1].
    const row = new Int8Array(3);
    unpackTernaryRow(row, Uint8Array.from([0b11100100]), 0, 3);
    expect([...row]).toEqual([-1, 0, 1]);
  });

  it('unpackTernaryRows inverts packTernaryRows (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 19 }), fc.integer(), (rows, cols, seed) => {
        const t = Int8Array.from({ length: rows * cols }, (_, i) => (((seed ^ (i * 2654435761)) >>> 0) % 3) - 1);
        expect(unpackTernaryRows(packTernaryRows(t, rows, cols), rows, cols)).toEqual(t);
      }),
      { numRuns: 200 },
    );
  });

  it('round trip over random shapes, including cols not a multiple of 4 (property)', () => {
    fc.assert(
      fc.property(
        fc.record({ rows: fc.integer({ min: 1, max: 6 }), cols: fc.integer({ min: 1, max: 13 }) }).chain(({ rows, cols }) =>
          fc.record({
            rows: fc.constant(rows),
            cols: fc.constant(cols),
            t: fc.array(fc.integer({ min: -1, max: 1 }), { minLength: rows * cols, maxLength: rows * cols }),
          }),
        ),
        ({ rows, cols, t }) => {
          const packed = packTernaryRows(Int8Array.from(t), rows, cols);
          expect(packed.length).toBe(rows * Math.ceil(cols / 4));
          const row = new Int8Array(cols);
          for (let r = 0; r < rows; r++) {
            unpackTernaryRow(row, packed, r, cols);
            expect([...row]).toEqual(t.slice(r * cols, (r + 1) * cols));
          }
          // Padding slots of the last byte of each row stay zero.
          if (cols % 4 !== 0) {
            for (let r = 0; r < rows; r++) expect(packed[(r + 1) * Math.ceil(cols / 4) - 1] >> (2 * (cols % 4))).toBe(0);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
