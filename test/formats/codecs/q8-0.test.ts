/**
 * Q8_0 (formats §2.3): 32-element blocks of f16 d then 32 int8; value = qs·d. The reference quantizer
 * (ggml-quants.c quantize_row_q8_0_ref) takes d = max|x|/127 in float32, stores f16(d), and rounds x·(1/d) with
 * roundf — half away from zero.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeQ8_0, encodeQ8_0 } from '../../../src/formats/codecs/q8-0.js';
import { f16ToNumber } from '../../../src/formats/float16.js';

function block(dBits: number, qs: number[]): number[] {
  const q = new Array(32).fill(0);
  qs.forEach((v, i) => (q[i] = v & 0xff));
  return [dBits & 0xff, dBits >> 8, ...q];
}

describe('decodeQ8_0', () => {
  it('decodes hand-built blocks: value = int8 · f16 d', () => {
    // Block 0: d = 0x3800 = 0.5; qs = −128, −1, 0, 1, 127, 5 → −64, −0.5, 0, 0.5, 63.5, 2.5.
    // Block 1: d = 0x3555 = 1365/4096 = 0.333251953125; qs[0] = 3 → 4095/4096 = 0.999755859375 (exact in f32).
    // Block 2: d = 0xC000 = −2; qs[31] = −3 → 6.
    const bytes = Uint8Array.from([
      ...block(0x3800, [-128, -1, 0, 1, 127, 5]),
      ...block(0x3555, [3]),
      ...block(0xc000, [...new Array(31).fill(0), -3]),
    ]);
    const y = decodeQ8_0(bytes, 96);
    expect([...y.subarray(0, 6)]).toEqual([-64, -0.5, 0, 0.5, 63.5, 2.5]);
    expect(y[32]).toBe(0.999755859375);
    expect(y[95]).toBe(6);
    expect(y.subarray(6, 32).every((v) => v === 0)).toBe(true);
  });

  it('throws RangeError on a bad count or length', () => {
    expect(() => decodeQ8_0(new Uint8Array(34), 16)).toThrow(RangeError);
    expect(() => decodeQ8_0(new Uint8Array(33), 32)).toThrow(RangeError);
    expect(() => encodeQ8_0(new Float32Array(31))).toThrow(RangeError);
    expect(() => encodeQ8_0(Float32Array.of(Infinity, ...new Array(31).fill(0)))).toThrow(RangeError);
  });
});

describe('encodeQ8_0', () => {
  it('rounds half away from zero (roundf), not half to even', () => {
    // amax = 127 → d = 1 exactly, id = 1, so qs = roundf(x): 0.5 → 1, −0.5 → −1, 1.5 → 2, 2.5 → 3 (even would be 2),
    // −2.5 → −3, and the float32 just below 0.5 → 0.
    const x = new Float32Array(32);
    x.set([127, -127, 0.5, -0.5, 1.5, 2.5, -2.5, Math.fround(0.49999997), 3.4999998]);
    const bytes = encodeQ8_0(x);
    expect([bytes[0], bytes[1]]).toEqual([0x00, 0x3c]); // f16 1.0
    const qs = Array.from(bytes.subarray(2, 11), (b) => (b << 24) >> 24);
    expect(qs).toEqual([127, -127, 1, -1, 2, 3, -3, 0, 3]);
  });

  it('writes d = 0 and qs = 0 for an all-zero block', () => {
    expect([...encodeQ8_0(new Float32Array(32))]).toEqual(new Array(34).fill(0));
  });

  it('stores f16(amax/127) and maps ±amax to ±127', () => {
    // amax = f32(2.54) → d = f32(amax/127) = 0.0199999995…, stored as f16 0x251F = 0.0200042724609375
    // (exp −6, mantissa round(0.28·1024) = 287). id = f32(1/d) = 50 exactly, so f32(1.27)·50 = 63.5 exactly → 64
    // and −2.54·50 = −127; qs is computed with the unrounded d, not with the stored f16.
    const x = new Float32Array(32);
    x[3] = Math.fround(-2.54);
    x[4] = Math.fround(1.27);
    const bytes = encodeQ8_0(x);
    expect(bytes[0] | (bytes[1] << 8)).toBe(0x251f);
    expect([(bytes[5] << 24) >> 24, (bytes[6] << 24) >> 24]).toEqual([-127, 64]);
  });
});

describe('Q8_0 round trip', () => {
  it('decode(encode(x)) is within half a step of x, plus the f16 rounding of d carried by |q| ≤ 127 (property)', () => {
    const value = fc.oneof(
      fc.float({ min: -1000, max: 1000, noNaN: true }),
      fc.float({ min: Math.fround(-1e-3), max: Math.fround(1e-3), noNaN: true }), // f16-subnormal d
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }).chain((k) => fc.array(value, { minLength: 32 * k, maxLength: 32 * k })),
        (xs) => {
          const x = Float32Array.from(xs);
          const bytes = encodeQ8_0(x);
          const y = decodeQ8_0(bytes, x.length);
          for (let b = 0; b < x.length / 32; b++) {
            let amax = 0;
            for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[32 * b + j]));
            const d = Math.fround(amax / 127);
            const d16 = f16ToNumber(bytes[34 * b] | (bytes[34 * b + 1] << 8));
            // qs = round(x/d) so |qs·d − x| ≤ d/2 (+ float32 error); the stored d16 moves qs·d by ≤ 127·|d − d16|.
            const bound = d / 2 + 127 * Math.abs(d - d16) + 1e-6 * amax;
            for (let j = 0; j < 32; j++) {
              const i = 32 * b + j;
              expect(Math.abs(y[i] - x[i])).toBeLessThanOrEqual(bound);
              expect(y[i]).toBe(Math.fround(((bytes[34 * b + 2 + j] << 24) >> 24) * d16));
            }
          }
        },
      ),
    );
  });
});
