/**
 * HF offline-packed ternary layout (formats §2.8): uint8 [R = out/4, in]; original row r sits in packed row
 * r mod R at bits 2·(r div R), as code = t + 1.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packHfTernary, unpackHfTernary } from '../../src/formats/hf-packing.js';

describe('HF ternary packing (formats §2.8)', () => {
  it('packs the worked column [+1, 0, −1, +1, −1, −1, 0, +1] (out = 8) to 0x42, 0x89', () => {
    // Codes [2, 1, 0, 2, 0, 0, 1, 2]; R = 2. Packed row 0 holds rows 0, 2, 4, 6 (codes 2, 0, 0, 1):
    // 2 + 0·4 + 0·16 + 1·64 = 0x42. Packed row 1 holds rows 1, 3, 5, 7 (codes 1, 2, 0, 2): 1 + 8 + 0 + 128 = 0x89.
    const t = Int8Array.from([1, 0, -1, 1, -1, -1, 0, 1]);
    expect([...packHfTernary(t, 8, 1)]).toEqual([0x42, 0x89]);
    const { ternary, badCode } = unpackHfTernary(Uint8Array.from([0x42, 0x89]), 8, 1);
    expect([...ternary]).toEqual([1, 0, -1, 1, -1, -1, 0, 1]);
    expect(badCode).toBe(-1);
  });

  it('unpacks byte 0b10100001 to 0, −1, +1, +1 for rows 0, 2, 4, 6 when R = 2', () => {
    // Bits 1–0 = 01 → 0; bits 3–2 = 00 → −1; bits 5–4 = 10 → +1; bits 7–6 = 10 → +1.
    // Packed row 1 is 0x55 (all codes 1) → rows 1, 3, 5, 7 are 0.
    const { ternary } = unpackHfTernary(Uint8Array.from([0b10100001, 0x55]), 8, 1);
    expect([ternary[0], ternary[2], ternary[4], ternary[6]]).toEqual([0, -1, 1, 1]);
    expect([ternary[1], ternary[3], ternary[5], ternary[7]]).toEqual([0, 0, 0, 0]);
  });

  it('keeps columns independent (out = 4, in = 3, R = 1)', () => {
    // With R = 1 every row k sits at bits 2k of the single packed row.
    // Column 0: rows [+1, +1, +1, +1] → codes 2 everywhere → 0b10101010 = 0xAA
    // Column 1: rows [−1, 0, +1, −1] → 0 + 1·4 + 2·16 + 0·64 = 0x24
    // Column 2: rows [0, 0, 0, +1]   → 1 + 4 + 16 + 2·64 = 0x95
    const t = Int8Array.from([1, -1, 0, 1, 0, 0, 1, 1, 0, 1, -1, 1]); // row-major [4, 3]
    expect([...packHfTernary(t, 4, 3)]).toEqual([0xaa, 0x24, 0x95]);
    expect([...unpackHfTernary(Uint8Array.from([0xaa, 0x24, 0x95]), 4, 3).ternary]).toEqual([...t]);
  });

  it('reports the first code 3 as badCode (row-major element index)', () => {
    // out = 4, in = 2, R = 1. Column 1's byte 0b00110101 has code 3 at bits 5–4 → row 2, column 1 → index 2·2 + 1 = 5.
    const { badCode } = unpackHfTernary(Uint8Array.from([0x55, 0b00110101]), 4, 2);
    expect(badCode).toBe(5);
  });

  it('round trip: unpack ∘ pack = id and pack ∘ unpack = id (property)', () => {
    const shapes = fc.record({ R: fc.integer({ min: 1, max: 8 }), cols: fc.integer({ min: 1, max: 9 }) });
    fc.assert(
      fc.property(
        shapes.chain(({ R, cols }) =>
          fc.record({
            R: fc.constant(R),
            cols: fc.constant(cols),
            t: fc.array(fc.integer({ min: -1, max: 1 }), { minLength: 4 * R * cols, maxLength: 4 * R * cols }),
          }),
        ),
        ({ R, cols, t }) => {
          const out = 4 * R;
          const packed = packHfTernary(Int8Array.from(t), out, cols);
          expect(packed.length).toBe(R * cols);
          const back = unpackHfTernary(packed, out, cols);
          expect(back.badCode).toBe(-1);
          expect([...back.ternary]).toEqual(t);
          // And in the other direction: the repacked bytes are the bytes we started from.
          expect([...packHfTernary(back.ternary, out, cols)]).toEqual([...packed]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('pack ∘ unpack = id over arbitrary bytes without code 3 (property)', () => {
    // A byte with no code 3: four codes in {0, 1, 2}.
    const byte = fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }))
      .map(([a, b, c, d]) => a | (b << 2) | (c << 4) | (d << 6));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 7 }), fc.infiniteStream(byte), (R, cols, bytes) => {
        const packed = Uint8Array.from(bytes.take(R * cols));
        const { ternary, badCode } = unpackHfTernary(packed, 4 * R, cols);
        expect(badCode).toBe(-1);
        expect([...packHfTernary(ternary, 4 * R, cols)]).toEqual([...packed]);
      }),
      { numRuns: 300 },
    );
  });
});
