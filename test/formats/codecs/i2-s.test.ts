/**
 * I2_S (formats §2.6): n/4 packed bytes in 128-element, 32-byte blocks (element j of a block in byte j mod 32 at
 * bits 6 − 2·(j div 32), HIGH bits first), then a 32-byte tail = f32 β + 28 zeros. Worked examples byte for byte,
 * a transcription of bitnet.cpp's `dequantize_row_i2_s` (map {−1, 0, +1, 0}) as the oracle, and the round trip.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeI2S, encodeI2S } from '../../../src/formats/codecs/i2-s.js';
import { expectSameValues } from './same.js';

/** bitnet.cpp's dequantize_row_i2_s for whole 128-blocks: per block, byte gp gives c0..c3 from the top bits down. */
function naiveDequantize(bytes: Uint8Array, n: number, scale: number): Float32Array {
  const map2bit = [-1, 0, 1, 0];
  const y = new Float32Array(n);
  for (let done = 0, x = 0; done < n; done += 128, x += 32) {
    for (let gp = 0; gp < 32; gp++) {
      const b = bytes[x + gp];
      y[done + 0 * 32 + gp] = Math.fround(scale * map2bit[(b >> 6) & 3]);
      y[done + 1 * 32 + gp] = Math.fround(scale * map2bit[(b >> 4) & 3]);
      y[done + 2 * 32 + gp] = Math.fround(scale * map2bit[(b >> 2) & 3]);
      y[done + 3 * 32 + gp] = Math.fround(scale * map2bit[(b >> 0) & 3]);
    }
  }
  return y;
}

function firstMismatch(a: Int8Array, b: Int8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

describe('I2_S worked examples (formats §2.6)', () => {
  it('encodes [+1, 0, −1, +1, −1, −1, 0, +1] then zeros to 95 55 15 95 15 15 55 95, then 0x55', () => {
    // Byte k = code_k << 6 | 1 << 4 | 1 << 2 | 1 = 64·code_k + 21.
    const t = new Int8Array(128);
    t.set([1, 0, -1, 1, -1, -1, 0, 1]);
    const bytes = encodeI2S(t, 1, 128, 1);
    const want = new Uint8Array(32).fill(0x55);
    want.set([0x95, 0x55, 0x15, 0x95, 0x15, 0x15, 0x55, 0x95]);
    expect([...bytes.subarray(0, 32)]).toEqual([...want]);
    expect([...bytes.subarray(32)]).toEqual([0x00, 0x00, 0x80, 0x3f, ...new Array(28).fill(0)]); // f32 1.0
    const out = decodeI2S(bytes, 1, 128);
    expect(out.ternary).toEqual(t);
    expect(out.scale).toBe(1);
    expect(out.badCode).toBe(-1);
  });

  it('puts elements 0, 32, 64, 96 = [+1, −1, 0, 0] in byte 0 = 2<<6 | 0<<4 | 1<<2 | 1 = 0x85', () => {
    const t = new Int8Array(128);
    [t[0], t[32]] = [1, -1];
    const bytes = encodeI2S(t, 1, 128, 1);
    expect(bytes[0]).toBe(0x85);
    expect(decodeI2S(bytes, 1, 128).ternary).toEqual(t);
  });

  it('2560×2560 with β = 1.5: 1,638,400 packed bytes, then 00 00 C0 3F and 28 zero bytes', () => {
    const rows = 2560;
    const cols = 2560;
    const t = new Int8Array(rows * cols);
    for (let i = 0; i < t.length; i += 7) t[i] = i % 2 === 0 ? 1 : -1;
    const bytes = encodeI2S(t, rows, cols, 1.5);
    expect(bytes.length).toBe(1_638_400 + 32);
    expect([...bytes.subarray(1_638_400)]).toEqual([0x00, 0x00, 0xc0, 0x3f, ...new Array(28).fill(0)]);
    const out = decodeI2S(bytes, rows, cols);
    expect(out.scale).toBe(1.5);
    expect(out.badCode).toBe(-1);
    expect(firstMismatch(out.ternary, t)).toBe(-1); // toEqual on 6.5M elements takes ~40 s
  });

  it('flattens row-major over [rows, cols]: blocks may span rows (rows = 4, cols = 32)', () => {
    const t = new Int8Array(128);
    t[3 * 32 + 5] = -1; // row 3, col 5 → flat 101 → group 3 (bits 0–1) of byte 5: 0b01_01_01_00 = 0x54
    const bytes = encodeI2S(t, 4, 32, 0.25);
    expect(bytes[5]).toBe(0x54);
    expect(decodeI2S(bytes, 4, 32).ternary).toEqual(t);
  });
});

describe('decodeI2S', () => {
  it('reads code 3 as 0 and reports the first as badCode', () => {
    const bytes = encodeI2S(new Int8Array(256), 2, 128, 1);
    bytes[32 + 9] = 0b01_11_01_11; // block 1, byte 9: groups 1 and 3 are code 3 → elements 128 + 32 + 9, 128 + 96 + 9
    const { ternary, badCode } = decodeI2S(bytes, 2, 128);
    expect(badCode).toBe(169);
    expect([ternary[169], ternary[233]]).toEqual([0, 0]);
  });

  it('matches bitnet.cpp dequantize_row_i2_s on arbitrary packed bytes (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }).chain((k) => fc.uint8Array({ minLength: 32 * k, maxLength: 32 * k })),
        fc.float({ noNaN: true, noDefaultInfinity: true }),
        (packed, scale) => {
          const n = packed.length * 4;
          const bytes = new Uint8Array(packed.length + 32);
          bytes.set(packed);
          new DataView(bytes.buffer).setFloat32(packed.length, scale, true);
          const out = decodeI2S(bytes, 1, n);
          expect(out.scale).toBe(scale);
          const want = naiveDequantize(bytes, n, scale);
          expectSameValues(Float32Array.from(out.ternary, (t) => out.scale * t), want);
        },
      ),
    );
  });

  it('reads from a subarray at an unaligned offset', () => {
    const inner = encodeI2S(Int8Array.from({ length: 128 }, (_, i) => (i % 3) - 1), 1, 128, -0.75);
    const outer = new Uint8Array(inner.length + 3);
    outer.set(inner, 3);
    const out = decodeI2S(outer.subarray(3), 1, 128);
    expect(out.scale).toBe(-0.75);
    expect([...out.ternary.subarray(0, 4)]).toEqual([-1, 0, 1, -1]);
  });

  it('throws RangeError unless n is a multiple of 128 and the length is n/4 + 32', () => {
    expect(() => decodeI2S(new Uint8Array(16 + 32), 1, 64)).toThrow(RangeError);
    expect(() => decodeI2S(new Uint8Array(32 + 4), 1, 128)).toThrow(RangeError);
    expect(() => encodeI2S(new Int8Array(64), 1, 64, 1)).toThrow(RangeError);
  });
});

describe('I2_S round trip', () => {
  it('decode(encode(t, s)) = (t, f32(s)) and encode(decode(b)) = b, n a multiple of 128 (property)', () => {
    const arb = fc
      .record({ rows: fc.integer({ min: 1, max: 6 }), unit: fc.constantFrom(64, 128, 256, 384) })
      .filter(({ rows, unit }) => (rows * unit) % 128 === 0)
      .chain(({ rows, unit }) =>
        fc.record({
          rows: fc.constant(rows),
          cols: fc.constant(unit),
          t: fc.array(fc.integer({ min: -1, max: 1 }), { minLength: rows * unit, maxLength: rows * unit }),
          scale: fc.double({ min: 1e-6, max: 1e6, noNaN: true }),
        }),
      );
    fc.assert(
      fc.property(arb, ({ rows, cols, t, scale }) => {
        const ternary = Int8Array.from(t);
        const bytes = encodeI2S(ternary, rows, cols, scale);
        expect(bytes.length).toBe((rows * cols) / 4 + 32);
        expect([...bytes.subarray(bytes.length - 28)]).toEqual(new Array(28).fill(0));
        const out = decodeI2S(bytes, rows, cols);
        expect(out.ternary).toEqual(ternary);
        expect(out.scale).toBe(Math.fround(scale));
        expect(out.badCode).toBe(-1);
        expect(encodeI2S(out.ternary, rows, cols, out.scale)).toEqual(bytes);
      }),
    );
  });
});
