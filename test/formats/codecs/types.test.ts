/**
 * The ggml type table (formats §1.3, §2.2, §2.6). Sizes are re-derived here from the block structs of
 * ggml-common.h field by field, independently of how src/formats/gguf/types.ts writes them.
 */
import { describe, expect, it } from 'vitest';
import { retiredType, tensorByteSize, typeInfo, type GgmlTypeInfo } from '../../../src/formats/gguf/types.js';

function info(id: number, dialect: 'upstream' | 'bitnet.cpp' = 'upstream'): GgmlTypeInfo {
  const t = typeInfo(id, dialect);
  if (t === null) throw new Error(`no type ${id} in ${dialect}`);
  return t;
}

describe('typeInfo', () => {
  it('spot-checks block shapes worked by hand', () => {
    const cases: [number, string, number, number][] = [
      [35, 'TQ2_0', 256, 66], // qs[256/4 = 64] + f16 d
      [34, 'TQ1_0', 256, 54], // qs[(256 − 4·256/64)/5 = 48] + qh[256/64 = 4] + f16 d
      [8, 'Q8_0', 32, 34], // f16 d + 32 int8
      [14, 'Q6_K', 256, 210], // ql[128] + qh[64] + scales[16] + f16 d
      [1, 'F16', 1, 2],
      [30, 'BF16', 1, 2],
      [0, 'F32', 1, 4],
      [12, 'Q4_K', 256, 144], // d, dmin (2·2) + scales[12] + qs[128]
      [9, 'Q8_1', 32, 36], // d, s (2·2) + 32 int8 = sizeof(block_q8_1)
      [15, 'Q8_K', 256, 292], // f32 d + 256 int8 + 16 int16 bsums
      [21, 'IQ3_S', 256, 110], // d + 13·(256/32) + 256/64
      [29, 'IQ1_M', 256, 56], // 32 + 16 + 8, no f16 d
      [39, 'MXFP4', 32, 17], // e8m0 + 16 nibble bytes
    ];
    for (const [id, name, elems, bytes] of cases) {
      const t = info(id);
      expect([t.name, t.blockElems, t.blockBytes], name).toEqual([name, elems, bytes]);
      if (id <= 35) expect(info(id, 'bitnet.cpp'), `${name} in bitnet.cpp`).toEqual(t); // same below 36
    }
  });

  it('marks exactly the types with a codec as decodable', () => {
    const up = [0, 1, 8, 14, 30, 34, 35].sort((a, b) => a - b);
    const ids = (d: 'upstream' | 'bitnet.cpp') => Array.from({ length: 64 }, (_, i) => i).filter((i) => typeInfo(i, d)?.decodable);
    expect(ids('upstream')).toEqual(up);
    expect(ids('bitnet.cpp')).toEqual([...up, 36].sort((a, b) => a - b));
  });

  it('splits the dialects above id 30', () => {
    expect(info(39, 'upstream').name).toBe('MXFP4');
    expect(info(39, 'bitnet.cpp').name).toBe('TL2');
    expect(info(38, 'bitnet.cpp')).toMatchObject({ name: 'TL1', layout: 'shape-specific', decodable: false });
    expect(info(36, 'bitnet.cpp')).toMatchObject({ name: 'I2_S', layout: 'i2s', decodable: true });
    expect(info(37, 'bitnet.cpp').name).toBe('I8_S');
    expect([40, 41, 42].map((id) => info(id).name)).toEqual(['NVFP4', 'Q1_0', 'Q2_0']);
    for (const id of [40, 41, 42]) expect(typeInfo(id, 'bitnet.cpp')).toBeNull();
    // bitnet.cpp's fork still has the repacked Q4_0 types live (block_q4_0: 32 elements, 18 bytes).
    expect(info(31, 'bitnet.cpp')).toMatchObject({ name: 'Q4_0_4_4', blockElems: 32, blockBytes: 18 });
  });

  it('reports retired ids as null with their former names, and unknown ids as null without', () => {
    for (const id of [4, 5, 31, 32, 33, 36, 37, 38]) expect(typeInfo(id, 'upstream'), `id ${id}`).toBeNull();
    expect([31, 32, 33, 36, 37, 38].map((id) => retiredType(id, 'upstream')?.name)).toEqual([
      'Q4_0_4_4',
      'Q4_0_4_8',
      'Q4_0_8_8',
      'IQ4_NL_4_4',
      'IQ4_NL_4_8',
      'IQ4_NL_8_8',
    ]);
    expect(retiredType(4, 'bitnet.cpp')?.name).toBe('Q4_2');
    expect(retiredType(36, 'bitnet.cpp')).toBeNull(); // I2_S is live there
    expect(retiredType(8, 'upstream')).toBeNull();
    for (const id of [43, 1000, -1, 2.5]) {
      expect(typeInfo(id, 'upstream')).toBeNull();
      expect(retiredType(id, 'upstream')).toBeNull();
    }
  });
});

describe('tensorByteSize', () => {
  it('sizes block types as ne0/blockElems blocks per row', () => {
    expect(tensorByteSize(info(35), [2560, 2560])).toBe(10 * 66 * 2560);
    expect(tensorByteSize(info(34), [6912, 2560])).toBe(27 * 54 * 2560);
    expect(tensorByteSize(info(8), [64, 3, 2])).toBe(2 * 34 * 6);
    expect(tensorByteSize(info(14), [2560, 128256])).toBe(10 * 210 * 128256);
    expect(tensorByteSize(info(1), [7])).toBe(14);
    expect(tensorByteSize(info(30), [3, 5])).toBe(30);
    expect(tensorByteSize(info(0), [2560, 0])).toBe(0);
  });

  it('sizes I2_S as n/4 + 32 (formats §2.6)', () => {
    const i2s = info(36, 'bitnet.cpp');
    expect(tensorByteSize(i2s, [2560, 2560])).toBe(1_638_400 + 32);
    expect(tensorByteSize(i2s, [6912, 2560])).toBe((6912 * 2560) / 4 + 32);
    expect(tensorByteSize(i2s, [64, 2])).toBe(32 + 32); // n = 128 though ne0 = 64
    expect(() => tensorByteSize(i2s, [64, 3])).toThrow(/not a multiple of 128/);
  });

  it('rejects ne0 not a multiple of the block size', () => {
    expect(() => tensorByteSize(info(35), [100, 2])).toThrow(RangeError);
    expect(() => tensorByteSize(info(35), [100, 2])).toThrow(/ne0 = 100 is not a multiple of the block size 256/);
    expect(() => tensorByteSize(info(8), [33])).toThrow(RangeError);
    // The rule is on ne0, not on the element count: 128 × 2 = 256 elements is still refused for TQ2_0.
    expect(() => tensorByteSize(info(35), [128, 2])).toThrow(RangeError);
  });

  it('refuses TL1 / TL2 (shape-specific layout, formats §2.7)', () => {
    expect(() => tensorByteSize(info(38, 'bitnet.cpp'), [256, 256])).toThrow(/formats §2.7/);
    expect(() => tensorByteSize(info(39, 'bitnet.cpp'), [256, 256])).toThrow(RangeError);
  });

  it('throws RangeError on overflow past 2^53 − 1 instead of returning an inexact number', () => {
    expect(() => tensorByteSize(info(0), [2 ** 40, 2 ** 40])).toThrow(/too large/);
    expect(() => tensorByteSize(info(35), [2n ** 63n, 2n ** 63n])).toThrow(RangeError);
    expect(() => tensorByteSize(info(36, 'bitnet.cpp'), [2n ** 62n, 4n])).toThrow(RangeError);
    // Just under the limit: 2^51 F32 elements → 2^53 bytes is too large; 2^50 → 2^52 is fine.
    expect(tensorByteSize(info(0), [2 ** 25, 2 ** 25])).toBe(2 ** 52);
    expect(tensorByteSize(info(0), [2n ** 50n])).toBe(2 ** 52);
    expect(() => tensorByteSize(info(0), [2n ** 51n])).toThrow(RangeError);
  });

  it('rejects malformed dims', () => {
    expect(() => tensorByteSize(info(0), [])).toThrow(RangeError);
    expect(() => tensorByteSize(info(0), [-1])).toThrow(RangeError);
    expect(() => tensorByteSize(info(0), [-1n])).toThrow(RangeError);
    expect(() => tensorByteSize(info(0), [1.5])).toThrow(RangeError);
    expect(() => tensorByteSize(info(0), [2 ** 53])).toThrow(RangeError);
  });
});
