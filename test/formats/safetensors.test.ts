/**
 * safetensors reader: every malformed input is a FormatError that names the file (and the field or byte offset
 * where one applies), no descriptor is left open when open() throws, and the shipped model reads correctly.
 * Files are built with test/helpers/safetensors-writer.ts, which does not share code with the reader.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import { MAX_HEADER_BYTES, SafetensorsFile } from '../../src/formats/safetensors.js';
import { thrown } from '../helpers/catch-error.js';
import {
  buildSafetensors,
  f32Bytes,
  rawSafetensors,
  removeTempDirs,
  splitSafetensors,
  tempDir,
  u16Bytes,
  writeFile,
} from '../helpers/safetensors-writer.js';

const SHIPPED = fileURLToPath(new URL('../../models/tiny-bitnet/model.safetensors', import.meta.url));

let dir: string;
let counter = 0;
beforeAll(() => {
  dir = tempDir('bitnet-ts-safetensors-');
});
afterAll(removeTempDirs);

function file(bytes: Uint8Array | string): string {
  return writeFile(dir, `f${counter++}.safetensors`, bytes);
}

/** Opens `path`, expects a FormatError naming it, and returns the error for further checks. */
function openError(path: string): FormatError {
  const err = thrown(() => SafetensorsFile.open(path));
  expect(err).toBeInstanceOf(FormatError);
  const e = err as FormatError;
  expect(e.code).toBe('FORMAT');
  expect(e.file).toBe(path);
  expect(e.message).toContain(path);
  return e;
}

/** A file whose header has the single entry `w` (plus any data bytes). */
function oneEntry(entry: unknown, data = new Uint8Array(16)): string {
  return file(rawSafetensors({ w: entry }, data));
}

describe('SafetensorsFile.open rejects malformed files', () => {
  it('a file shorter than 8 bytes (offset 0)', () => {
    const e = openError(file(Uint8Array.from([1, 2, 3, 4, 5])));
    expect(e.offset).toBe(0);
    expect(e.message).toContain('5 bytes');
    // An empty file too.
    expect(openError(file(new Uint8Array(0))).offset).toBe(0);
  });

  it('a header length larger than the file (offset 0)', () => {
    // Claims 100 header bytes; only 10 follow the length field.
    const bytes = rawSafetensors('{}', new Uint8Array(8), 100n);
    const e = openError(file(bytes));
    expect(e.offset).toBe(0);
    expect(e.message).toContain('100');
  });

  it('a header length over the 100 MB cap (offset 0), before any attempt to read it', () => {
    expect(MAX_HEADER_BYTES).toBe(100 * 1024 * 1024);
    for (const len of [BigInt(MAX_HEADER_BYTES) + 1n, 2n ** 63n, 2n ** 64n - 1n]) {
      const e = openError(file(rawSafetensors('{}', new Uint8Array(0), len)));
      expect(e.offset).toBe(0);
      expect(e.message).toMatch(/limit/);
    }
  });

  it('a header that is not JSON, or not UTF-8 (offset 8)', () => {
    expect(openError(file(rawSafetensors('{"w": {"dtype": "F32",'))).offset).toBe(8);
    // Valid length, bytes 0xFF 0xFE are not UTF-8.
    const bad = new Uint8Array(10);
    new DataView(bad.buffer).setBigUint64(0, 2n, true);
    bad.set([0xff, 0xfe], 8);
    expect(openError(file(bad)).offset).toBe(8);
  });

  it('header JSON that is not an object (offset 8)', () => {
    for (const h of ['[1, 2]', 'null', '42', '"text"']) {
      const e = openError(file(rawSafetensors(h)));
      expect(e.offset).toBe(8);
      expect(e.message).toMatch(/object/);
    }
  });

  it('a tensor entry that is not an object', () => {
    expect(openError(oneEntry([1, 2])).field).toBe('w');
  });

  it('an unknown dtype names the field', () => {
    const e = openError(oneEntry({ dtype: 'Q4_K', shape: [1], data_offsets: [0, 1] }));
    expect(e.field).toBe('w.dtype');
    expect(e.message).toMatch(/Q4_K.*unknown/);
    expect(openError(oneEntry({ dtype: 7, shape: [1], data_offsets: [0, 1] })).field).toBe('w.dtype');
    expect(openError(oneEntry({ shape: [1], data_offsets: [0, 1] })).field).toBe('w.dtype');
  });

  it('a known but unsupported dtype (F64) is named as such', () => {
    const e = openError(oneEntry({ dtype: 'F64', shape: [2], data_offsets: [0, 16] }));
    expect(e.field).toBe('w.dtype');
    expect(e.message).toMatch(/F64.*not supported/);
  });

  it('a shape that is not an array of non-negative integers', () => {
    for (const shape of ['4', [-1], [1.5], ['2'], [2, null], { 0: 4 }, [2 ** 53]]) {
      const e = openError(oneEntry({ dtype: 'U8', shape, data_offsets: [0, 4] }));
      expect(e.field, JSON.stringify(shape)).toBe('w.shape');
    }
  });

  it('data_offsets of the wrong length, type or order', () => {
    for (const offsets of [[0], [0, 4, 8], [4, 0], [-1, 3], [0.5, 4.5], ['0', '4'], 4, undefined]) {
      const e = openError(oneEntry({ dtype: 'U8', shape: [4], data_offsets: offsets }));
      expect(e.field, JSON.stringify(offsets)).toBe('w.data_offsets');
    }
  });

  it('a data_offsets span that does not match shape × dtype size', () => {
    // F32 [2] needs 2 · 4 = 8 bytes; the entry spans 4.
    const e = openError(oneEntry({ dtype: 'F32', shape: [2], data_offsets: [0, 4] }));
    expect(e.field).toBe('w.data_offsets');
    expect(e.message).toMatch(/4 bytes.*needs 8/);
    // BF16 [3, 2] needs 12; spans 16.
    expect(openError(oneEntry({ dtype: 'BF16', shape: [3, 2], data_offsets: [0, 16] })).field).toBe('w.data_offsets');
  });

  it('tensor data beyond the end of a hand-built file', () => {
    // 8 data bytes, but the tensor spans [4, 12).
    const bytes = rawSafetensors({ w: { dtype: 'U8', shape: [8], data_offsets: [4, 12] } }, new Uint8Array(8));
    const dataStart = bytes.length - 8;
    const e = openError(file(bytes));
    expect(e.field).toBe('w');
    expect(e.offset).toBe(dataStart + 4);
  });

  it('the shipped model truncated by one byte names its last tensor and offset', () => {
    const bytes = readFileSync(SHIPPED);
    const { header, dataStart } = splitSafetensors(bytes);
    // The tensor whose data ends last is the one the truncation cuts.
    let last = '';
    let lastBegin = -1;
    let lastEnd = -1;
    for (const [name, entry] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      const [b, e] = (entry as { data_offsets: [number, number] }).data_offsets;
      if (e > lastEnd) [last, lastBegin, lastEnd] = [name, b, e];
    }
    expect(dataStart + lastEnd).toBe(bytes.length);
    const e = openError(file(bytes.subarray(0, bytes.length - 1)));
    expect(e.field).toBe(last);
    expect(e.offset).toBe(dataStart + lastBegin);
    expect(e.message).toMatch(/truncated/);
    // Cut into the header itself: the header length now exceeds the file.
    expect(openError(file(bytes.subarray(0, 1000))).offset).toBe(0);
  });

  it('overlapping tensors name the later one and its offset', () => {
    // a = [0, 8), b = [4, 12): b starts inside a.
    const header = {
      a: { dtype: 'U8', shape: [8], data_offsets: [0, 8] },
      b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
    };
    const bytes = rawSafetensors(header, new Uint8Array(12));
    const dataStart = bytes.length - 12;
    const e = openError(file(bytes));
    expect(e.field).toBe('b');
    expect(e.offset).toBe(dataStart + 4);
    expect(e.message).toContain("'a'");
  });

  it('__metadata__ must be an object of strings', () => {
    expect(openError(file(rawSafetensors({ __metadata__: 'x' }))).field).toBe('__metadata__');
    expect(openError(file(rawSafetensors({ __metadata__: { format: 1 } }))).field).toBe('__metadata__.format');
  });

  it('leaves no file descriptor open when open() throws', () => {
    const bad = [
      file(Uint8Array.from([1, 2, 3])),
      file(rawSafetensors('not json')),
      oneEntry({ dtype: 'F64', shape: [1], data_offsets: [0, 8] }),
      file(rawSafetensors('{}', new Uint8Array(0), 2n ** 40n)),
    ];
    const fds = () => readdirSync('/proc/self/fd').length;
    const before = fds();
    for (let i = 0; i < 25; i++) for (const p of bad) expect(() => SafetensorsFile.open(p)).toThrow(FormatError);
    expect(fds()).toBe(before);
  });
});

describe('SafetensorsFile reads well-formed files', () => {
  it('reads back every supported dtype from a hand-built file, at an unaligned data start', () => {
    // The header length is whatever JSON.stringify gives; nothing pads the data section to 4 or 8 bytes.
    const bytes = buildSafetensors(
      {
        f32: { dtype: 'F32', shape: [2], data: f32Bytes([1.5, -0.25]) },
        f16: { dtype: 'F16', shape: [3], data: u16Bytes([0x3c00, 0xc000, 0x7bff]) }, // 1, −2, 65504
        bf16: { dtype: 'BF16', shape: [2, 1], data: u16Bytes([0x3f80, 0xc040]) }, // 1, −3
        u8: { dtype: 'U8', shape: [3], data: Uint8Array.from([0, 0x42, 0xff]) },
        i8: { dtype: 'I8', shape: [2], data: Uint8Array.from([0x80, 0x7f]) },
        empty: { dtype: 'F32', shape: [0, 4], data: new Uint8Array(0) },
      },
      { format: 'pt' },
    );
    const path = file(bytes);
    const f = SafetensorsFile.open(path);
    try {
      expect([...f.header.tensors.keys()].sort()).toEqual(['bf16', 'empty', 'f16', 'f32', 'i8', 'u8']);
      expect(f.header.metadata).toEqual({ format: 'pt' });
      expect([...f.readFloat32('f32')]).toEqual([1.5, -0.25]);
      expect([...f.readFloat32('f16')]).toEqual([1, -2, 65504]);
      expect([...f.readFloat32('bf16')]).toEqual([1, -3]);
      expect([...f.readBytes('u8')]).toEqual([0, 0x42, 0xff]);
      expect([...f.readBytes('i8')]).toEqual([0x80, 0x7f]);
      expect([...f.readFloat32('empty')]).toEqual([]);
      expect(f.info('bf16')).toMatchObject({ dtype: 'BF16', shape: [2, 1] });
      // Absolute offsets: f32 is the first tensor, right after the header.
      expect(f.info('f32').begin).toBe(splitSafetensors(bytes).dataStart);
      // Asking for a float view of U8 data, or for a tensor that is not there, is a FormatError naming it.
      const wrong = thrown(() => f.readFloat32('u8')) as FormatError;
      expect(wrong).toBeInstanceOf(FormatError);
      expect(wrong.field).toBe('u8.dtype');
      const missing = thrown(() => f.info('nope')) as FormatError;
      expect(missing).toBeInstanceOf(FormatError);
      expect(missing.field).toBe('nope');
      expect(missing.file).toBe(path);
    } finally {
      f.close();
    }
    expect(() => f.readBytes('u8')).toThrow(FormatError);
  });

  it('opens the shipped model: 146 tensors, their dtypes and shapes, and decodes BF16 exactly', () => {
    const f = SafetensorsFile.open(SHIPPED);
    try {
      // 8 layers × (4 norms + 7 packed weights + 7 weight_scales) + embed_tokens + final norm = 146 tensors; the
      // header's 147th key is __metadata__, which is not a tensor.
      expect(f.header.tensors.size).toBe(146);
      expect(f.header.metadata).toEqual({ format: 'pt' });
      expect(f.info('model.embed_tokens.weight')).toMatchObject({ dtype: 'BF16', shape: [4096, 256] });
      // q_proj: out = 8 heads · 32 = 256 → packed [256/4, 256] = [64, 256]; gate_proj [704/4, 256] = [176, 256].
      expect(f.info('model.layers.0.self_attn.q_proj.weight')).toMatchObject({ dtype: 'U8', shape: [64, 256] });
      expect(f.info('model.layers.7.self_attn.k_proj.weight')).toMatchObject({ dtype: 'U8', shape: [32, 256] });
      expect(f.info('model.layers.3.mlp.gate_proj.weight')).toMatchObject({ dtype: 'U8', shape: [176, 256] });
      expect(f.info('model.layers.3.mlp.down_proj.weight')).toMatchObject({ dtype: 'U8', shape: [64, 704] });
      expect(f.info('model.layers.0.self_attn.q_proj.weight_scale')).toMatchObject({ dtype: 'BF16', shape: [1] });
      expect(f.info('model.norm.weight')).toMatchObject({ dtype: 'BF16', shape: [256] });
      expect(f.has('lm_head.weight')).toBe(false);

      // model.norm.weight: read its raw bytes ourselves and decode BF16 as f32 bits = u16 << 16.
      const raw = readFileSync(SHIPPED);
      const info = f.info('model.norm.weight');
      const dv = new DataView(raw.buffer, raw.byteOffset);
      const want = new Float32Array(256);
      const wantBits = new Uint32Array(want.buffer);
      for (let i = 0; i < 256; i++) wantBits[i] = dv.getUint16(info.begin + 2 * i, true) << 16;
      const got = f.readFloat32('model.norm.weight');
      expect(got).toBeInstanceOf(Float32Array);
      expect([...got]).toEqual([...want]);
      // The first element by hand: bytes A5 3F → 0x3FA5 → exp 127, mantissa 0x25 = 37 → 1 + 37/128 = 1.2890625.
      expect(dv.getUint16(info.begin, true)).toBe(0x3fa5);
      expect(got[0]).toBe(1.2890625);

      // A one-element weight_scale: bytes AE 3D → 0x3DAE → exp 123, mantissa 0x2E = 46 → (1 + 46/128)·2^−4 = 0.0849609375.
      expect([...f.readFloat32('model.layers.0.self_attn.q_proj.weight_scale')]).toEqual([0.0849609375]);
    } finally {
      f.close();
    }
  });
});
