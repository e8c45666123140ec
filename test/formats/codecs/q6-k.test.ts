/**
 * Q6_K: 256-element blocks of ql[128], qh[64], int8 scales[16], f16 d (210 bytes), decoded as ggml's
 * dequantize_row_q6_K does. A hand-worked block, and random blocks against a second decoder below that follows
 * the C loop literally (pointers advanced per 128-half, float32 products left to right).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeQ6K } from '../../../src/formats/codecs/q6-k.js';
import { f16ToNumber } from '../../../src/formats/float16.js';
import { expectSameValues } from './same.js';

/** dequantize_row_q6_K transcribed: `y += 128; ql += 64; qh += 32; sc += 8` after each half. */
function naiveDequantize(x: Uint8Array, k: number): Float32Array {
  const f = Math.fround;
  const out = new Float32Array(k);
  for (let i = 0; i < k / 256; i++) {
    const blk = x.subarray(210 * i, 210 * i + 210);
    const d = f(f16ToNumber(blk[208] | (blk[209] << 8)));
    let y = 256 * i;
    let ql = 0;
    let qh = 128;
    let sc = 192;
    const s8 = (o: number) => (blk[o] << 24) >> 24;
    for (let n = 0; n < 256; n += 128) {
      for (let l = 0; l < 32; l++) {
        const is = Math.trunc(l / 16);
        const q1 = ((blk[ql + l + 0] & 0xf) | (((blk[qh + l] >> 0) & 3) << 4)) - 32;
        const q2 = ((blk[ql + l + 32] & 0xf) | (((blk[qh + l] >> 2) & 3) << 4)) - 32;
        const q3 = ((blk[ql + l + 0] >> 4) | (((blk[qh + l] >> 4) & 3) << 4)) - 32;
        const q4 = ((blk[ql + l + 32] >> 4) | (((blk[qh + l] >> 6) & 3) << 4)) - 32;
        out[y + l + 0] = f(f(d * s8(sc + is + 0)) * q1);
        out[y + l + 32] = f(f(d * s8(sc + is + 2)) * q2);
        out[y + l + 64] = f(f(d * s8(sc + is + 4)) * q3);
        out[y + l + 96] = f(f(d * s8(sc + is + 6)) * q4);
      }
      y += 128;
      ql += 64;
      qh += 32;
      sc += 8;
    }
  }
  return out;
}

describe('decodeQ6K', () => {
  it('decodes a hand-built block', () => {
    // d = 0x3800 = 0.5. ql[0] = 0x5A, ql[32] = 0x3C, qh[0] = 0xE4 = 0b11_10_01_00, ql[64] = 0x0F, qh[32] = 0x02;
    // scales[0, 2, 4, 6, 8] = 2, −3, 7, −1, 4; everything else 0.
    //   y[0]   = d·sc[0]·((0x5A & 15 | 0b00 << 4) − 32) = 0.5·2·(10 − 32)            = −22
    //   y[1]   = d·sc[0]·((0 | 0) − 32)                  = 1·(−32)                     = −32
    //   y[16]  = d·sc[1]·(−32), sc[1] = 0                                              = −0
    //   y[32]  = d·sc[2]·((0x3C & 15 | 0b01 << 4) − 32) = −1.5·(28 − 32)              = 6
    //   y[64]  = d·sc[4]·((0x5A >> 4 | 0b10 << 4) − 32) = 3.5·(37 − 32)               = 17.5
    //   y[96]  = d·sc[6]·((0x3C >> 4 | 0b11 << 4) − 32) = −0.5·(51 − 32)              = −9.5
    //   y[128] = d·sc[8]·((ql[64] & 15 | (qh[32] & 3) << 4) − 32) = 2·((15 | 32) − 32) = 30
    const b = new Uint8Array(210);
    b[0] = 0x5a;
    b[32] = 0x3c;
    b[64] = 0x0f;
    b[128] = 0xe4;
    b[128 + 32] = 0x02;
    [b[192], b[194], b[196], b[198], b[200]] = [2, -3 & 0xff, 7, -1 & 0xff, 4];
    [b[208], b[209]] = [0x00, 0x38];
    const y = decodeQ6K(b, 256);
    expect([y[0], y[1], y[16], y[32], y[64], y[96], y[128]]).toEqual([-22, -32, -0, 6, 17.5, -9.5, 30]);
    expect(Object.is(y[16], -0)).toBe(true);
    expect(y).toEqual(naiveDequantize(b, 256));
  });

  it('matches the literal transcription of dequantize_row_q6_K on random blocks, bit for bit (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }).chain((k) => fc.uint8Array({ minLength: 210 * k, maxLength: 210 * k })),
        (u) => {
          const bytes = Uint8Array.from(u);
          const k = (bytes.length / 210) * 256;
          const got = decodeQ6K(bytes, k);
          const want = naiveDequantize(bytes, k);
          expectSameValues(got, want); // Object.is: −0 and NaN compared exactly
        },
      ),
      { numRuns: 200 },
    );
  });

  it('throws RangeError on a bad count or length', () => {
    expect(() => decodeQ6K(new Uint8Array(210), 128)).toThrow(RangeError);
    expect(() => decodeQ6K(new Uint8Array(209), 256)).toThrow(RangeError);
  });
});
