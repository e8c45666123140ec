/**
 * Hostile GGUF files: each malformation is a FormatError naming the file, the field and the byte offset, raised
 * before anything larger than the file is allocated. Plus a fuzz test over mutated valid files (a hang would hit
 * the test timeout).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../../src/errors.js';
import { GgufFile } from '../../../src/formats/gguf/reader.js';
import { gguf, writeGguf } from '../../../src/formats/gguf/writer.js';

const dir = mkdtempSync(join(tmpdir(), 'bitnet-gguf-hostile-'));
let n = 0;

function save(bytes: Uint8Array): string {
  const path = join(dir, `h${n++}.gguf`);
  writeFileSync(path, bytes);
  return path;
}

/** A small valid file: two metadata keys, two F32 tensors of 4 elements. */
function valid(): Buffer {
  const path = join(dir, `v${n++}.gguf`);
  const f32 = (k: number) => new Uint8Array(new Float32Array([k, k + 1, k + 2, k + 3]).buffer);
  writeGguf(path, new Map([['general.architecture', gguf.string('bitnet')], ['general.name', gguf.string('x')]]), [
    { name: 'a', dims: [4], typeId: 0, data: f32(1) },
    { name: 'b', dims: [2, 2], typeId: 0, data: f32(5) },
  ]);
  return readFileSync(path);
}

function fails(bytes: Uint8Array, message: RegExp, field?: string): FormatError {
  const path = save(bytes);
  let err: unknown;
  try {
    GgufFile.open(path).close();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected a FormatError').toBeInstanceOf(FormatError);
  const e = err as FormatError;
  expect(e.file).toBe(path);
  expect(e.message).toMatch(message);
  if (field !== undefined) expect(e.field).toBe(field);
  return e;
}

/** Byte offset of tensor `index`'s info in valid(), counted from formats §1.1 field sizes. */
function tensorInfoOffset(index: number): number {
  // 24-byte fixed header; each key: u64 length + key + u32 type + u64 length + value.
  const metaEnd = 24 + (8 + 20 + 4 + 8 + 6) + (8 + 12 + 4 + 8 + 1);
  let at = metaEnd;
  const dims = [[4], [2, 2]];
  for (let i = 0; i < index; i++) at += 8 + 1 + 4 + 8 * dims[i].length + 4 + 8;
  return at;
}

describe('hostile GGUF files', () => {
  it('the valid base file opens', () => {
    const f = GgufFile.open(save(valid()));
    expect([...f.tensors.keys()]).toEqual(['a', 'b']);
    f.close();
  });

  it('bad magic', () => {
    const b = valid();
    b.write('GGML', 0);
    expect(fails(b, /bad magic/, 'magic').offset).toBe(0);
  });

  it('unknown and big-endian versions', () => {
    const b = valid();
    b.writeUInt32LE(4, 4);
    expect(fails(b, /unsupported GGUF version 4/, 'version').offset).toBe(4);
    b.writeUInt32LE(1, 4);
    fails(b, /unsupported GGUF version 1/, 'version');
    b.writeUInt32BE(3, 4);
    fails(b, /big-endian/, 'version');
  });

  it('a tensor count or metadata count beyond what the file can hold', () => {
    const b = valid();
    b.writeBigUInt64LE(2n ** 40n, 8);
    expect(fails(b, /tensor_count is 1099511627776, more than the file can hold/).offset).toBe(8);
    const c = valid();
    c.writeBigUInt64LE(2n ** 63n, 16);
    fails(c, /metadata_kv_count/);
  });

  it('a string length beyond the file', () => {
    const b = valid();
    b.writeBigUInt64LE(2n ** 50n, 24); // first key's length
    expect(fails(b, /metadata key 0 length is \d+, more than the file can hold/).offset).toBe(24);
  });

  it('an unknown metadata value type and an invalid bool', () => {
    const b = valid();
    b.writeUInt32LE(13, 24 + 8 + 20);
    fails(b, /unknown metadata value type 13/, 'general.architecture');
    const path = join(dir, `bool${n++}.gguf`);
    writeGguf(path, new Map([['flag', gguf.bool(true)]]), []);
    const c = readFileSync(path);
    c[24 + 8 + 4 + 4] = 2;
    fails(c, /bool must be 0 or 1/, 'flag');
  });

  it('n_dims > 4 and 0', () => {
    const at = tensorInfoOffset(0) + 8 + 1;
    const b = valid();
    b.writeUInt32LE(5, at);
    expect(fails(b, /n_dims is 5/, 'a').offset).toBe(tensorInfoOffset(0));
    b.writeUInt32LE(0, at);
    fails(b, /n_dims is 0/, 'a');
  });

  it('an unknown tensor type id', () => {
    const at = tensorInfoOffset(0) + 8 + 1 + 4 + 8;
    const b = valid();
    b.writeUInt32LE(1234, at);
    fails(b, /unknown tensor type id 1234/, 'a');
  });

  it('misaligned, overlapping, out-of-file and overflowing tensor data', () => {
    const offsetAt = tensorInfoOffset(1) + 8 + 1 + 4 + 16 + 4;
    const b = valid();
    b.writeBigUInt64LE(8n, offsetAt);
    fails(b, /not a multiple of the alignment 32/, 'b');
    b.writeBigUInt64LE(0n, offsetAt);
    fails(b, /overlaps 'a'/, 'b');
    b.writeBigUInt64LE(32n * 1000n, offsetAt);
    fails(b, /ends at byte \d+ but the file has/, 'b');
    b.writeBigUInt64LE(2n ** 64n - 32n, offsetAt);
    fails(b, /ends at byte/, 'b');
    const dimsAt = tensorInfoOffset(1) + 8 + 1 + 4;
    const c = valid();
    c.writeBigUInt64LE(2n ** 52n, dimsAt);
    c.writeBigUInt64LE(2n ** 52n, dimsAt + 8);
    fails(c, /b|overflow|too large|size/i, 'b');
  });

  it('a truncated file', () => {
    const b = valid();
    fails(b.subarray(0, b.length - 1), /ends at byte/, 'b');
    fails(b.subarray(0, 30), /tensor_count is 2, more than the file can hold/);
    fails(b.subarray(0, 66), /general.architecture length is 6, more than the file can hold/);
  });

  it('fuzz: mutated valid files open or fail with FormatError only, quickly', () => {
    const base = valid();
    const path = join(dir, 'fuzz.gguf');
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.nat({ max: base.length - 1 }), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 6 }),
        fc.option(fc.nat({ max: base.length }), { nil: undefined }),
        (edits, cut) => {
          const b = Buffer.from(base);
          for (const e of edits) b[e.at] = e.byte;
          writeFileSync(path, cut === undefined ? b : b.subarray(0, cut));
          try {
            const f = GgufFile.open(path);
            for (const name of f.tensors.keys()) f.readTensorBytes(name);
            f.close();
          } catch (err) {
            if (!(err instanceof FormatError)) throw err;
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
