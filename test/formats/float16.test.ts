/**
 * Half-precision codecs (formats §2.1): F16 = IEEE binary16 (1/5/10, bias 15); BF16 = upper half of an f32.
 * Expected values are worked from the bit fields by hand.
 */
import { describe, expect, it } from 'vitest';
import { bf16ToNumber, decodeBf16, decodeF16, decodeF32, f16ToNumber, numberToF16 } from '../../src/formats/float16.js';

describe('f16ToNumber', () => {
  it('decodes known bit patterns', () => {
    const cases: [number, number][] = [
      [0x3c00, 1], // exp 15, mant 0 → 2^0
      [0xc000, -2], // sign, exp 16 → −2^1
      [0x7bff, 65504], // exp 30, mant 1023 → (1 + 1023/1024)·2^15 = 65504
      [0x0001, 2 ** -24], // smallest subnormal: 1 · 2^−24
      [0x03ff, 1023 * 2 ** -24], // largest subnormal
      [0x0400, 2 ** -14], // smallest normal
      [0x3555, 0.333251953125], // exp 13, mant 0x155 = 341 → (1 + 341/1024)/4 = 1365/4096
      [0x2e66, 0.0999755859375], // exp 11, mant 0x266 = 614 → (1 + 614/1024)/16 = 1638/16384
      [0x7c00, Infinity],
      [0xfc00, -Infinity],
      [0x0000, 0],
    ];
    for (const [h, want] of cases) expect(f16ToNumber(h), `0x${h.toString(16)}`).toBe(want);
    expect(Object.is(f16ToNumber(0x8000), -0)).toBe(true);
  });

  it('decodes every exponent-31, non-zero-mantissa pattern as NaN', () => {
    for (const h of [0x7c01, 0x7e00, 0x7fff, 0xfc01, 0xfe00, 0xffff]) expect(f16ToNumber(h), `0x${h.toString(16)}`).toBeNaN();
  });
});

describe('bf16ToNumber', () => {
  it('decodes known bit patterns (f32 bits = u16 << 16)', () => {
    const cases: [number, number][] = [
      [0x3f80, 1], // f32 0x3F800000
      [0xc040, -3], // f32 0xC0400000: sign, exp 128, mant 0x400000 → −1.5·2
      [0x3fa5, 1.2890625], // exp 127, mant 0x25 = 37 → 1 + 37/128
      [0x4049, 3.140625], // exp 128, mant 0x49 = 73 → (1 + 73/128)·2
      [0x7f80, Infinity],
      [0xff80, -Infinity],
      [0x0001, 2 ** -133], // f32 subnormal 0x00010000 = 2^16 · 2^−149
    ];
    for (const [h, want] of cases) expect(bf16ToNumber(h), `0x${h.toString(16)}`).toBe(want);
    expect(bf16ToNumber(0x7fc0)).toBeNaN();
  });
});

describe('numberToF16', () => {
  it('encodes exact values', () => {
    expect(numberToF16(1)).toBe(0x3c00);
    expect(numberToF16(-2)).toBe(0xc000);
    expect(numberToF16(65504)).toBe(0x7bff);
    expect(numberToF16(2 ** -24)).toBe(0x0001);
    expect(numberToF16(2 ** -14)).toBe(0x0400);
    expect(numberToF16(0)).toBe(0x0000);
    expect(numberToF16(-0)).toBe(0x8000);
    expect(numberToF16(Infinity)).toBe(0x7c00);
    expect(numberToF16(-Infinity)).toBe(0xfc00);
  });

  it('encodes NaN as a NaN pattern', () => {
    const h = numberToF16(NaN);
    expect(h & 0x7c00).toBe(0x7c00);
    expect(h & 0x03ff).not.toBe(0);
  });

  // Inputs below are all exactly representable in float32 (numberToF16 goes through a float32).
  it('rounds to nearest, ties to even, among normals', () => {
    // F16 spacing at 1 is 2^−10.
    expect(numberToF16(1 + 2 ** -11)).toBe(0x3c00); // halfway 0x3C00 / 0x3C01 → even 0x3C00
    expect(numberToF16(1 + 3 * 2 ** -11)).toBe(0x3c02); // halfway 0x3C01 / 0x3C02 → even 0x3C02
    expect(numberToF16(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01); // just above halfway → up
    expect(numberToF16(1 + 2 ** -11 - 2 ** -20)).toBe(0x3c00); // just below halfway → down
    expect(numberToF16(-(1 + 3 * 2 ** -11))).toBe(0xbc02); // sign is symmetric
    // Mantissa carry into the exponent: 2 − 2^−11 is halfway between 0x3BFF (odd) and 0x4000 → 0x4000 = 2.
    expect(numberToF16(2 - 2 ** -11)).toBe(0x4000);
    // Known roundings: 0.1 → 0x2E66, 1/3 → 0x3555 (also what numpy's np.float16 gives).
    expect(numberToF16(Math.fround(0.1))).toBe(0x2e66);
    expect(numberToF16(Math.fround(1 / 3))).toBe(0x3555);
  });

  it('rounds at the overflow boundary: 65519 → 65504, 65520 (a tie with 65536) → +Inf', () => {
    // Spacing at the top binade is 32: 65504 + 16 = 65520 is the tie; 65504 has odd mantissa 0x3FF, so it goes up.
    expect(numberToF16(65519)).toBe(0x7bff);
    expect(numberToF16(65520)).toBe(0x7c00);
    expect(numberToF16(-65520)).toBe(0xfc00);
    expect(numberToF16(1e6)).toBe(0x7c00);
  });

  it('rounds to nearest even among subnormals and underflows to signed zero', () => {
    const u = 2 ** -24; // one subnormal step
    expect(numberToF16(0.5 * u)).toBe(0x0000); // tie 0 / 1 → even 0
    expect(numberToF16(1.5 * u)).toBe(0x0002); // tie 1 / 2 → even 2
    expect(numberToF16(2.5 * u)).toBe(0x0002); // tie 2 / 3 → even 2
    expect(numberToF16(0.5 * u * (1 + 2 ** -5))).toBe(0x0001); // above the tie → 1
    expect(numberToF16(0.25 * u)).toBe(0x0000);
    expect(numberToF16(-0.25 * u)).toBe(0x8000);
    expect(numberToF16(1023.5 * u)).toBe(0x0400); // tie 0x3FF (odd) / 0x400 → the smallest normal
    expect(numberToF16(1022.5 * u)).toBe(0x03fe); // tie 0x3FE (even) / 0x3FF → 0x3FE
  });

  it('rounds once, from the float64 value (no detour through float32)', () => {
    // 1 + 2^-11 is the exact tie between 0x3C00 and 0x3C01; the extra 2^-40 puts it above → 0x3C01 (numpy agrees).
    // Through float32 first, 2^-40 would be lost and the tie would go to the even 0x3C00.
    expect(numberToF16(1 + 2 ** -11 + 2 ** -40)).toBe(0x3c01);
    // 2^-25 is half the smallest subnormal (a tie to 0); a hair above rounds up to 0x0001.
    expect(numberToF16(2 ** -25 + 2 ** -60)).toBe(0x0001);
  });

  it('round trip: numberToF16(f16ToNumber(h)) = h for all 65536 patterns except NaNs', () => {
    let checked = 0;
    for (let h = 0; h < 0x10000; h++) {
      const isNaN = (h & 0x7c00) === 0x7c00 && (h & 0x03ff) !== 0;
      if (isNaN) continue;
      const back = numberToF16(f16ToNumber(h));
      if (back !== h) expect.fail(`0x${h.toString(16)} → ${f16ToNumber(h)} → 0x${back.toString(16)}`);
      checked++;
    }
    // 65536 − 2 signs · 1023 NaN mantissas = 63490.
    expect(checked).toBe(63490);
  });
});

describe('byte decoders', () => {
  it('decodeF16 / decodeBf16 read little-endian pairs', () => {
    // F16 bytes 00 3C | 00 C0 → [1, −2]; BF16 bytes 80 3F | 40 C0 → [1, −3].
    expect([...decodeF16(Uint8Array.from([0x00, 0x3c, 0x00, 0xc0]))]).toEqual([1, -2]);
    expect([...decodeBf16(Uint8Array.from([0x80, 0x3f, 0x40, 0xc0]))]).toEqual([1, -3]);
  });

  it('decodeF32 reads from an unaligned offset', () => {
    // 1.5 = 0x3FC00000 → bytes 00 00 C0 3F; −0.25 = 0xBE800000 → 00 00 80 BE; start at byte 1 of the buffer.
    const buf = Uint8Array.from([0xee, 0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x80, 0xbe]);
    expect([...decodeF32(buf.subarray(1))]).toEqual([1.5, -0.25]);
  });
});
