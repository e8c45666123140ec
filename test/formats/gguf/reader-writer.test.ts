/**
 * GGUF writer → reader round trips for every metadata value type (nested arrays included), alignment, and tensor
 * data placement. Expected bytes for the fixed header fields are written out by hand from formats §1.1.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GGUF_VALUE_TYPES, type GgufArray, type GgufValue, type GgufValueType } from '../../../src/formats/gguf/metadata.js';
import { GgufFile } from '../../../src/formats/gguf/reader.js';
import { gguf, writeGguf } from '../../../src/formats/gguf/writer.js';

const dir = mkdtempSync(join(tmpdir(), 'bitnet-gguf-'));
let n = 0;
const file = (): string => join(dir, `t${n++}.gguf`);

describe('GGUF writer → reader', () => {
  it('writes the fixed header fields of formats §1.1 byte for byte', () => {
    const path = file();
    writeGguf(path, new Map([['general.architecture', gguf.string('bitnet')]]), []);
    const b = readFileSync(path);
    expect([...b.subarray(0, 4)]).toEqual([0x47, 0x47, 0x55, 0x46]); // "GGUF"
    expect(b.readUInt32LE(4)).toBe(3); // version
    expect(b.readBigUInt64LE(8)).toBe(0n); // tensor_count
    expect(b.readBigUInt64LE(16)).toBe(1n); // metadata_kv_count
    expect(b.readBigUInt64LE(24)).toBe(20n); // key length of "general.architecture"
    expect(b.subarray(32, 52).toString()).toBe('general.architecture');
    expect(b.readUInt32LE(52)).toBe(8); // STRING
    expect(b.readBigUInt64LE(56)).toBe(6n);
    expect(b.subarray(64, 70).toString()).toBe('bitnet');
    expect(b.length % 32).toBe(0); // padded to the default alignment
  });

  it('round-trips one value of every type, with 64-bit extremes and nested arrays', () => {
    const values: [string, GgufValue][] = [
      ['u8', { type: 'u8', value: 255 }],
      ['i8', { type: 'i8', value: -128 }],
      ['u16', { type: 'u16', value: 65535 }],
      ['i16', { type: 'i16', value: -32768 }],
      ['u32', { type: 'u32', value: 4294967295 }],
      ['i32', { type: 'i32', value: -2147483648 }],
      ['f32', { type: 'f32', value: 1.5 }],
      ['bool', { type: 'bool', value: true }],
      ['string', { type: 'string', value: 'naïve — ☃ <|eot_id|>' }],
      ['u64', { type: 'u64', value: 18446744073709551615n }],
      ['i64', { type: 'i64', value: -9223372036854775808n }],
      ['f64', { type: 'f64', value: Math.PI }],
      ['array', { type: 'array', value: { elementType: 'array', items: [{ elementType: 'i32', items: [1, -2] }, { elementType: 'string', items: ['a', ''] }] } }],
      ['empty', { type: 'array', value: { elementType: 'u8', items: [] } }],
    ];
    const path = file();
    writeGguf(path, new Map(values), []);
    const f = GgufFile.open(path);
    try {
      for (const [key, v] of values) expect(f.metadata.get(key), key).toEqual(v);
      expect(f.header.version).toBe(3);
    } finally {
      f.close();
    }
  });

  it('places tensors at aligned offsets and reads their bytes back', () => {
    const a = Uint8Array.from({ length: 10 }, (_, i) => i + 1);
    const b = new Uint8Array(new Float32Array([1, 2, 3]).buffer);
    for (const alignment of [32, 64]) {
      const path = file();
      writeGguf(path, new Map(), [
        { name: 'a', dims: [10], typeId: 24 /* I8 */, data: a },
        { name: 'b', dims: [3], typeId: 0 /* F32 */, data: b },
      ], alignment);
      const f = GgufFile.open(path);
      try {
        expect(f.header.alignment).toBe(alignment);
        expect(f.tensor('b').offset % alignment).toBe(0);
        expect(f.tensor('b').offset - f.tensor('a').offset).toBe(alignment); // 10 bytes padded to one unit
        expect([...f.readTensorBytes('a')]).toEqual([...a]);
        expect([...f.readTensorBytes('b')]).toEqual([...b]);
        expect(f.tensor('b')).toMatchObject({ dims: [3], typeName: 'F32', byteSize: 12 });
      } finally {
        f.close();
      }
    }
  });

  it('round-trips arbitrary metadata (fast-check, every scalar type and nested arrays)', () => {
    const scalar = (t: GgufValueType): fc.Arbitrary<unknown> => {
      switch (t) {
        case 'u8': return fc.integer({ min: 0, max: 255 });
        case 'i8': return fc.integer({ min: -128, max: 127 });
        case 'u16': return fc.integer({ min: 0, max: 65535 });
        case 'i16': return fc.integer({ min: -32768, max: 32767 });
        case 'u32': return fc.integer({ min: 0, max: 2 ** 32 - 1 });
        case 'i32': return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
        case 'f32': return fc.float({ noNaN: true }).map(Math.fround);
        case 'f64': return fc.double({ noNaN: true });
        case 'u64': return fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
        case 'i64': return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
        case 'bool': return fc.boolean();
        case 'string': return fc.string({ unit: 'grapheme', maxLength: 20 });
        case 'array': return fc.constant(null);
      }
    };
    const scalarTypes = GGUF_VALUE_TYPES.filter((t) => t !== 'array');
    const array: fc.Arbitrary<GgufArray> = fc
      .constantFrom(...scalarTypes)
      .chain((t) => fc.array(scalar(t), { maxLength: 8 }).map((items) => ({ elementType: t, items }) as GgufArray));
    const value: fc.Arbitrary<GgufValue> = fc.oneof(
      fc.constantFrom(...scalarTypes).chain((t) => scalar(t).map((v) => ({ type: t, value: v }) as GgufValue)),
      array.map((a) => ({ type: 'array', value: a }) as GgufValue),
      fc.array(array, { maxLength: 3 }).map((items) => ({ type: 'array', value: { elementType: 'array', items } }) as GgufValue),
    );
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), value, { maxKeys: 6 }), (dict) => {
        const entries = Object.entries(dict).filter(([k]) => k !== 'general.alignment');
        const path = file();
        writeGguf(path, new Map(entries), []);
        const f = GgufFile.open(path);
        try {
          for (const [k, v] of entries) expect(f.metadata.get(k)).toEqual(v);
          expect(f.metadata.entries.size).toBe(entries.length);
        } finally {
          f.close();
        }
      }),
      { numRuns: 200 },
    );
  });

  it('reads version 2 files', () => {
    const path = file();
    writeGguf(path, new Map([['k', gguf.u32(7)]]), []);
    const b = readFileSync(path);
    b.writeUInt32LE(2, 4);
    writeFileSync(path, b);
    const f = GgufFile.open(path);
    expect(f.header.version).toBe(2);
    expect(f.metadata.integer('k')).toBe(7);
    f.close();
  });
});
