/**
 * TQ2_0 (formats §2.4): 256-element blocks, qs[64] of 2-bit codes (element 32·l + m of each 128-half at bits 2l of
 * byte m, low bits first), then f16 d. Worked examples byte for byte; a literal transcription of ggml's
 * `dequantize_row_tq2_0` loop as the oracle for arbitrary bytes; round trip as a property.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeTq2_0, encodeTq2_0, tq2_0ToTernaryRows } from '../../../src/formats/codecs/tq2-0.js';
import { packTernaryRows } from '../../../src/formats/ternary-rows.js';
import { f16ToNumber, numberToF16 } from '../../../src/formats/float16.js';
import { tqCase } from './arbitraries.js';
import { expectSameValues } from './same.js';

const WORKED = [1, 0, -1, 1, -1, -1, 0, 1];

/** ggml's dequantize_row_tq2_0, loop for loop: j over 32-byte halves, l over bit pairs, m over bytes. */
function naiveDequantize(bytes: Uint8Array, n: number): Float32Array {
  const y = new Float32Array(n);
  let k = 0;
  for (let i = 0; i < n / 256; i++) {
    const x = bytes.subarray(i * 66, i * 66 + 66);
    const d = Math.fround(f16ToNumber(x[64] | (x[65] << 8)));
    for (let j = 0; j < 64; j += 32) {
      for (let l = 0; l < 4; l++) {
        for (let m = 0; m < 32; m++) {
          const q = (x[j + m] >> (l * 2)) & 3;
          y[k++] = Math.fround((q - 1) * d);
        }
      }
    }
  }
  return y;
}

describe('TQ2_0 worked examples (formats §2.4)', () => {
  it('encodes [+1, 0, −1, +1, −1, −1, 0, +1] then zeros, β = 1, to 56 55 54 56 54 54 55 56, 0x55…, 00 3C', () => {
    // Codes [2,1,0,2,0,0,1,2]; the three other elements of bytes 0..7 (k+32, k+64, k+96) are 0 → code 1 each,
    // so byte k = code_k + 1·4 + 1·16 + 1·64 = code_k + 84.
    const t = new Int8Array(256);
    t.set(WORKED);
    const bytes = encodeTq2_0(t, 1, 256, 1.0);
    const want = new Uint8Array(66).fill(0x55);
    want.set([0x56, 0x55, 0x54, 0x56, 0x54, 0x54, 0x55, 0x56], 0);
    want.set([0x00, 0x3c], 64); // f16 1.0, little-endian
    expect([...bytes]).toEqual([...want]);
    const { ternary, blockScales, badCode } = decodeTq2_0(bytes, 1, 256);
    expect([...ternary]).toEqual([...t]);
    expect([...blockScales]).toEqual([1]);
    expect(badCode).toBe(-1);
  });

  it('puts elements 0, 32, 64, 96 = [+1, 0, −1, +1] into byte 0 = 2 | 1<<2 | 0<<4 | 2<<6 = 0x86', () => {
    const t = new Int8Array(256);
    [t[0], t[32], t[64], t[96]] = [1, 0, -1, 1];
    const bytes = encodeTq2_0(t, 1, 256, 1.0);
    expect(bytes[0]).toBe(0x86);
    expect(bytes[32]).toBe(0x55); // byte 32 holds elements 128, 160, 192, 224: all 0
    expect([...decodeTq2_0(bytes, 1, 256).ternary]).toEqual([...t]);
  });

  it('puts element 128 + 32l + m in byte 32 + m at bits 2l', () => {
    const t = new Int8Array(256);
    t[128 + 64 + 5] = 1; // l = 2, m = 5 → byte 37, code 2 at bits 4–5: 0b01_10_01_01 = 0x65
    const bytes = encodeTq2_0(t, 1, 256, 0.5);
    expect(bytes[37]).toBe(0x65);
    expect([bytes[64], bytes[65]]).toEqual([0x00, 0x38]); // f16 0.5 = 0x3800
  });
});

describe('decodeTq2_0', () => {
  it('reports the first code 3 as badCode (flat index) and decodes it as +2, like ggml', () => {
    // Block 1 of row 0 (elements 256..511): byte 32 + 3 = 0b11_01_01_01 → element 256 + 128 + 96 + 3 = 483 is code 3.
    const bytes = encodeTq2_0(new Int8Array(512), 1, 512, 1);
    bytes[66 + 35] = 0xd5;
    const { ternary, badCode } = decodeTq2_0(bytes, 1, 512);
    expect(badCode).toBe(483);
    expect(ternary[483]).toBe(2);
  });

  it('matches ggml dequantize_row_tq2_0 on arbitrary bytes, code 3 included (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }).chain((b) => fc.uint8Array({ minLength: 66 * b, maxLength: 66 * b }).map((u) => ({ b, u }))),
        (rows, { b, u }) => {
          const cols = 256 * b;
          const bytes = new Uint8Array(66 * b * rows);
          for (let r = 0; r < rows; r++) bytes.set(u, r * u.length);
          for (let i = 0; i < bytes.length; i += 66) bytes[i + 65] &= 0xfb; // keep d finite (exponent < 31), sign free
          const { ternary, blockScales } = decodeTq2_0(bytes, rows, cols);
          const want = naiveDequantize(bytes, rows * cols);
          expectSameValues(Float32Array.from(ternary, (t, i) => t * blockScales[i >> 8]), want);
        },
      ),
    );
  });

  it('throws RangeError on a bad shape or length', () => {
    expect(() => decodeTq2_0(new Uint8Array(66), 1, 128)).toThrow(RangeError);
    expect(() => decodeTq2_0(new Uint8Array(65), 1, 256)).toThrow(RangeError);
    expect(() => encodeTq2_0(Int8Array.of(2, ...new Array(255).fill(0)), 1, 256, 1)).toThrow(RangeError);
  });
});

describe('tq2_0ToTernaryRows', () => {
  it('equals decodeTq2_0 then packTernaryRows on valid codes, with the same scales, nonzero blocks and badCode (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.boolean(),
        (rows, b, seed, zeroBlocks) => {
          const cols = 256 * b;
          // Codes 0..2 (with whole zero blocks sometimes, i.e. every code 1), d finite.
          let s = seed;
          const next = (): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 16);
          const bytes = new Uint8Array(66 * b * rows);
          for (let blk = 0; blk < b * rows; blk++) {
            const zero = zeroBlocks && next() % 2 === 0;
            for (let i = 0; i < 64; i++) {
              let v = 0;
              for (let l = 0; l < 4; l++) v |= (zero ? 1 : next() % 3) << (2 * l);
              bytes[66 * blk + i] = v;
            }
            bytes[66 * blk + 64] = next() & 0xff;
            bytes[66 * blk + 65] = next() & 0x7b;
          }
          const want = decodeTq2_0(bytes, rows, cols);
          const got = tq2_0ToTernaryRows(bytes, rows, cols);
          expect(got.packed).toEqual(packTernaryRows(want.ternary, rows, cols));
          expect(got.blockScales).toEqual(want.blockScales);
          expect(got.badCode).toBe(-1);
          expect(Array.from(got.blockNonzero)).toEqual(Array.from(want.blockScales, (_, k) => (want.ternary.subarray(256 * k, 256 * (k + 1)).some((t) => t !== 0) ? 1 : 0)));
        },
      ),
    );
  });

  it('reports the first code 3 at the same flat index as decodeTq2_0', () => {
    const bytes = encodeTq2_0(new Int8Array(512), 1, 512, 1);
    bytes[66 + 35] = 0xd5; // element 256 + 128 + 96 + 3 = 483
    bytes[66 + 40] = 0xff; // elements 256 + 128 + 32l + 8: the first is 392, in a byte visited later
    expect(tq2_0ToTernaryRows(bytes, 1, 512).badCode).toBe(decodeTq2_0(bytes, 1, 512).badCode);
    expect(tq2_0ToTernaryRows(bytes, 1, 512).badCode).toBe(392);
  });
});

describe('TQ2_0 round trip', () => {
  it('decode(encode(t, s)) = (t, f16(s)) for multi-block, multi-row tensors (property)', () => {
    fc.assert(
      fc.property(tqCase, ({ rows, cols, t, scale }) => {
        const ternary = Int8Array.from(t);
        const bytes = encodeTq2_0(ternary, rows, cols, scale);
        expect(bytes.length).toBe((rows * cols * 66) / 256);
        const out = decodeTq2_0(bytes, rows, cols);
        expect(out.ternary).toEqual(ternary);
        expect(out.badCode).toBe(-1);
        const s = f16ToNumber(numberToF16(scale));
        expect([...out.blockScales]).toEqual(new Array((rows * cols) / 256).fill(s));
        // And encode(decode(bytes)) = bytes: the layout has no freedom left.
        expect(encodeTq2_0(out.ternary, rows, cols, s)).toEqual(bytes);
      }),
    );
  });
});
