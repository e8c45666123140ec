/**
 * TQ1_0 (formats §2.5): 256-element blocks of qs[48] (five base-3 digits per byte), qh[4] (four digits, ×3), f16 d;
 * byte = ceil(v·256/243), digit n = ((byte·3^n mod 256)·3) >> 8. Worked examples A, B, C byte for byte, every digit
 * combination, every byte value (hostile input), a literal transcription of ggml's `dequantize_row_tq1_0` as the
 * oracle, and the round trip as a property.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeTq1_0, encodeTq1_0 } from '../../../src/formats/codecs/tq1-0.js';
import { f16ToNumber, numberToF16 } from '../../../src/formats/float16.js';
import { tqCase } from './arbitraries.js';
import { expectSameValues } from './same.js';

/** ggml's dequantize_row_tq1_0, loop for loop (uint8 wrap of q, then (q·3) >> 8). */
function naiveDequantize(bytes: Uint8Array, n: number): Float32Array {
  const pow3 = [1, 3, 9, 27, 81, 243];
  const y = new Float32Array(n);
  let k = 0;
  for (let i = 0; i < n / 256; i++) {
    const x = bytes.subarray(i * 54, i * 54 + 54);
    const d = f16ToNumber(x[52] | (x[53] << 8));
    for (let j = 0; j < 32; j += 32) {
      for (let nn = 0; nn < 5; nn++) {
        for (let m = 0; m < 32; m++) {
          const q = (x[j + m] * pow3[nn]) & 0xff;
          y[k++] = Math.fround((((q * 3) >> 8) - 1) * d);
        }
      }
    }
    for (let j = 32; j < 48; j += 16) {
      for (let nn = 0; nn < 5; nn++) {
        for (let m = 0; m < 16; m++) {
          const q = (x[j + m] * pow3[nn]) & 0xff;
          y[k++] = Math.fround((((q * 3) >> 8) - 1) * d);
        }
      }
    }
    for (let nn = 0; nn < 4; nn++) {
      for (let j = 0; j < 4; j++) {
        const q = (x[48 + j] * pow3[nn]) & 0xff;
        y[k++] = Math.fround((((q * 3) >> 8) - 1) * d);
      }
    }
  }
  return y;
}

/** Digits (most significant first) of v in base 3, `len` of them. */
function digits(v: number, len: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < len; i++) {
    out.unshift(v % 3);
    v = Math.floor(v / 3);
  }
  return out;
}

describe('TQ1_0 worked examples (formats §2.5)', () => {
  it('A: [+1, 0, −1, +1, −1, −1, 0, +1] then zeros → qs D5 80 2B D5 2B 2B 80 D5, 0x80…, qh 0x7F, d 00 3C', () => {
    // Byte k carries element k as its top digit and four zeros (trit 1): v = trit·81 + 40.
    // trit 2 → v 202 → (202·256 + 242) div 243 = 213 = 0xD5; trit 1 → 121 → 128 = 0x80; trit 0 → 40 → 43 = 0x2B.
    // qh: four zero weights → 4-digit value 40, ×3 = 120 → (120·256 + 242) div 243 = 127 = 0x7F.
    const t = new Int8Array(256);
    t.set([1, 0, -1, 1, -1, -1, 0, 1]);
    const bytes = encodeTq1_0(t, 1, 256, 1.0);
    const want = new Uint8Array(54).fill(0x80);
    want.set([0xd5, 0x80, 0x2b, 0xd5, 0x2b, 0x2b, 0x80, 0xd5], 0);
    want.set([0x7f, 0x7f, 0x7f, 0x7f], 48);
    want.set([0x00, 0x3c], 52);
    expect([...bytes]).toEqual([...want]);
    const out = decodeTq1_0(bytes, 1, 256);
    expect([...out.ternary]).toEqual([...t]);
    expect([...out.blockScales]).toEqual([1]);
    expect(out.nonCanonical).toBe(-1);
  });

  it('A (decode check): 0x2B = 43 decodes digit 0 to trit 0 (−1) and digit 1 to trit 1 (0)', () => {
    // n = 0: 43·3 = 129 → 129 >> 8 = 0. n = 1: 43·3 mod 256 = 129, ·3 = 387 → 387 >> 8 = 1.
    const bytes = encodeTq1_0(new Int8Array(256), 1, 256, 1);
    bytes[0] = 0x2b;
    const { ternary } = decodeTq1_0(bytes, 1, 256);
    expect([ternary[0], ternary[32], ternary[64], ternary[96], ternary[128]]).toEqual([-1, 0, 0, 0, 0]);
  });

  it('B: elements 0, 32, 64, 96, 128 = [+1, 0, −1, +1, −1] → byte 0 = 0xCE, and back', () => {
    // Trits [2,1,0,2,0]: v = 2·81 + 1·27 + 0·9 + 2·3 + 0 = 195 → (195·256 + 242) div 243 = 206 = 0xCE.
    const t = new Int8Array(256);
    [t[0], t[32], t[64], t[96], t[128]] = [1, 0, -1, 1, -1];
    const bytes = encodeTq1_0(t, 1, 256, 1);
    expect(bytes[0]).toBe(0xce);
    // Digits: 618>>8 = 2; 106·3 = 318>>8 = 1; 62·3 = 186>>8 = 0; 186·3 = 558>>8 = 2; 46·3 = 138>>8 = 0.
    const { ternary } = decodeTq1_0(bytes, 1, 256);
    expect([ternary[0], ternary[32], ternary[64], ternary[96], ternary[128]]).toEqual([1, 0, -1, 1, -1]);
  });

  it('C: elements 240, 244, 248, 252 = [−1, +1, 0, +1] → qh[0] = 0x49, and back', () => {
    // Trits [0,2,1,2]: ((0·3 + 2)·3 + 1)·3 + 2 = 23, ×3 = 69 → (69·256 + 242) div 243 = 73 = 0x49.
    const t = new Int8Array(256);
    [t[240], t[244], t[248], t[252]] = [-1, 1, 0, 1];
    const bytes = encodeTq1_0(t, 1, 256, 1);
    expect(bytes[48]).toBe(0x49);
    const { ternary } = decodeTq1_0(bytes, 1, 256);
    expect([ternary[240], ternary[244], ternary[248], ternary[252]]).toEqual([-1, 1, 0, 1]);
  });

  it('places qs[32 + m] at elements 160 + m + 16n', () => {
    const t = new Int8Array(256);
    [t[165], t[181], t[197], t[213], t[229]] = [1, 1, 1, 1, 1]; // m = 5: all trits 2 → v = 242 → 255
    const bytes = encodeTq1_0(t, 1, 256, 1);
    expect(bytes[37]).toBe(0xff);
    expect(decodeTq1_0(bytes, 1, 256).ternary).toEqual(t);
  });
});

describe('TQ1_0 digit combinations (formats §7)', () => {
  it('encodes all 3^5 qs digit combinations to ceil(v·256/243) and decodes them exactly', () => {
    // Row v holds the digits of v in elements 0, 32, 64, 96, 128 (byte 0 of its block) and zeros elsewhere.
    const t = new Int8Array(243 * 256);
    for (let v = 0; v < 243; v++) digits(v, 5).forEach((dgt, n) => (t[v * 256 + 32 * n] = dgt - 1));
    const bytes = encodeTq1_0(t, 243, 256, 1);
    const seen = new Set<number>();
    for (let v = 0; v < 243; v++) {
      expect(bytes[v * 54]).toBe(Math.ceil((v * 256) / 243));
      seen.add(bytes[v * 54]);
    }
    expect(seen.size).toBe(243);
    const out = decodeTq1_0(bytes, 243, 256);
    expectSameValues(out.ternary, t);
    expect(out.nonCanonical).toBe(-1);
  });

  it('encodes all 3^4 qh digit combinations and decodes them exactly', () => {
    const t = new Int8Array(81 * 256);
    for (let v = 0; v < 81; v++) digits(v, 4).forEach((dgt, n) => (t[v * 256 + 240 + 4 * n] = dgt - 1));
    const bytes = encodeTq1_0(t, 81, 256, 1);
    for (let v = 0; v < 81; v++) expect(bytes[v * 54 + 48]).toBe(Math.ceil((3 * v * 256) / 243));
    expectSameValues(decodeTq1_0(bytes, 81, 256).ternary, t);
  });
});

describe('decodeTq1_0 on hostile bytes', () => {
  it('decodes every byte value in every position like ggml, and flags the non-canonical ones', () => {
    // Block b: every qs byte and every qh byte = b, d = 1. 13 qs values and 175 qh values are not canonical.
    const bytes = new Uint8Array(256 * 54);
    for (let b = 0; b < 256; b++) {
      bytes.fill(b, b * 54, b * 54 + 52);
      bytes.set([0x00, 0x3c], b * 54 + 52);
    }
    const { ternary } = decodeTq1_0(bytes, 256, 256);
    expect(ternary.every((t) => t === -1 || t === 0 || t === 1)).toBe(true);
    expectSameValues(ternary, naiveDequantize(bytes, 256 * 256));

    let qsBad = 0;
    let qhBad = 0;
    for (let b = 0; b < 256; b++) {
      const one = new Uint8Array(54);
      one.set(bytes.subarray(b * 54, b * 54 + 54));
      one.fill(0x7f, 48, 52); // canonical qh (four zeros) so only qs is judged
      const qs = decodeTq1_0(one, 1, 256).nonCanonical;
      one.fill(0x80, 0, 48); // canonical qs (five zeros)
      one.fill(b, 48, 52);
      const qh = decodeTq1_0(one, 1, 256).nonCanonical;
      if (qs >= 0) qsBad++;
      if (qh >= 0) qhBad++;
      expect([qs, qh], `byte 0x${b.toString(16)}`).toEqual([qs >= 0 ? 0 : -1, qh >= 0 ? 48 : -1]);
    }
    expect([qsBad, qhBad]).toEqual([256 - 243, 256 - 81]);
    // 0xFF decodes to five 2s (v = 242): canonical in qs (ceil(242·256/243) = 255), not in qh (fifth digit 2 ≠ 0);
    // 0x80 decodes to five 1s (v = 121): canonical in qs, not in qh — four zero weights in qh are 0x7F.
    expect(decodeTq1_0(Uint8Array.from([...new Array(48).fill(0xff), 0x7f, 0x7f, 0x7f, 0x7f, 0, 0x3c]), 1, 256).nonCanonical).toBe(-1);
    expect(decodeTq1_0(Uint8Array.from([...new Array(48).fill(0x80), 0x7f, 0x7f, 0x80, 0x7f, 0, 0x3c]), 1, 256).nonCanonical).toBe(50);
  });

  it('matches ggml dequantize_row_tq1_0 on random bytes (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }).chain((b) => fc.uint8Array({ minLength: 54 * b, maxLength: 54 * b })),
        (u) => {
          const bytes = Uint8Array.from(u);
          for (let i = 0; i < bytes.length; i += 54) bytes[i + 53] &= 0xfb; // finite d
          const n = (bytes.length / 54) * 256;
          const { ternary, blockScales } = decodeTq1_0(bytes, 1, n);
          const want = naiveDequantize(bytes, n);
          expectSameValues(Float32Array.from(ternary, (t, i) => t * blockScales[i >> 8]), want);
        },
      ),
    );
  });

  it('throws RangeError on a bad shape or length, or a non-ternary value to encode', () => {
    expect(() => decodeTq1_0(new Uint8Array(54), 2, 128)).toThrow(RangeError);
    expect(() => decodeTq1_0(new Uint8Array(53), 1, 256)).toThrow(RangeError);
    const t = new Int8Array(256);
    t[7] = -2;
    expect(() => encodeTq1_0(t, 1, 256, 1)).toThrow(/index 7/);
  });
});

describe('TQ1_0 round trip', () => {
  it('decode(encode(t, s)) = (t, f16(s)) and encode(decode(b)) = b (property)', () => {
    fc.assert(
      fc.property(tqCase, ({ rows, cols, t, scale }) => {
        const ternary = Int8Array.from(t);
        const bytes = encodeTq1_0(ternary, rows, cols, scale);
        expect(bytes.length).toBe((rows * cols * 54) / 256);
        const out = decodeTq1_0(bytes, rows, cols);
        expect(out.ternary).toEqual(ternary);
        expect(out.nonCanonical).toBe(-1);
        const s = f16ToNumber(numberToF16(scale));
        expect([...out.blockScales]).toEqual(new Array((rows * cols) / 256).fill(s));
        expect(encodeTq1_0(out.ternary, rows, cols, s)).toEqual(bytes);
      }),
    );
  });
});
