/**
 * Fuzzing the safetensors reader (src/formats/safetensors-reader.ts) and the Hugging Face folder loader that reads
 * through it (src/model/hf-checkpoint.ts), docs/fuzzing.md. Inputs: header JSON of any shape, headers with entries
 * whose dtype / shape / data_offsets are boundary values, small files from test/helpers/safetensors-writer.ts and
 * the shipped model.safetensors, mutated byte by byte.
 *
 * Properties: a result or a FormatError only; what is accepted is consistent (every tensor inside the data
 * section, sized shape × dtype, no overlaps); no typed array larger than the file while parsing; a header length
 * or data offset past the file is refused; JSON keys `__proto__` / `constructor` pollute nothing.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import { memorySource } from '../../src/formats/byte-source.js';
import { decodeF16 } from '../../src/formats/float16.js';
import { memoryFolder } from '../../src/formats/model-folder.js';
import { parseSafetensorsHeader, SafetensorsReader, type SafetensorsHeader } from '../../src/formats/safetensors-reader.js';
import { openHfCheckpoint } from '../../src/model/hf-checkpoint.js';
import { readAllWeights } from '../../src/model/weights.js';
import { buildSafetensors, rawSafetensors, splitSafetensors } from '../helpers/safetensors-writer.js';
import { applyMutations, mutationsArb, writeUint } from './mutate.js';
import { expectPrototypesUntouched, measureAllocations, params, prototypeSnapshot, runs, timeoutFor, titled, typedOutcome } from './runs.js';

const DTYPE_BYTES: Record<string, number> = { BF16: 2, F16: 2, F32: 4, U8: 1, I8: 1 };
const enc = new TextEncoder();

/** Whatever was accepted must describe tensors that lie inside the file, sized as declared, not overlapping. */
function expectConsistent(h: SafetensorsHeader, dataStart: number, fileSize: number): void {
  const spans: [number, number][] = [];
  for (const t of h.tensors.values()) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (t.begin < dataStart || t.end > fileSize || t.end - t.begin !== n * DTYPE_BYTES[t.dtype]) {
      throw new Error(`accepted tensor '${t.name}' [${t.begin}, ${t.end}) ${t.dtype}[${t.shape.join(', ')}] in a ${fileSize}-byte file`);
    }
    if (t.end > t.begin) spans.push([t.begin, t.end]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) if (spans[i][0] < spans[i - 1][1]) throw new Error('accepted overlapping tensors');
  for (const v of Object.values(h.metadata)) if (typeof v !== 'string') throw new Error('accepted a non-string __metadata__ value');
}

/** Opens `bytes` as a file and reads every tensor (bytes, and float32 where floating): FormatError or consistent. */
function openChecked(bytes: Uint8Array): { ok: boolean; error?: Error } {
  const source = memorySource('fuzz.safetensors', bytes);
  const opened = measureAllocations(() => typedOutcome('SafetensorsReader.fromSource', () => SafetensorsReader.fromSource(source)));
  if (opened.allocations.largest > bytes.length) throw new Error(`allocated ${opened.allocations.largest} bytes at once parsing a ${bytes.length}-byte file`);
  if (!opened.result.ok) return { ok: false, error: opened.result.error };
  const r = opened.result.value;
  expectConsistent(r.header, 8 + r.header.headerBytes, bytes.length);
  const read = measureAllocations(() =>
    typedOutcome('read tensors', () => {
      for (const t of r.header.tensors.values()) {
        r.readBytes(t.name);
        if (t.dtype === 'BF16' || t.dtype === 'F16' || t.dtype === 'F32') r.readFloat32(t.name);
      }
    }),
  );
  // Raw bytes (at most the file), then float32 (at most twice the file: 16-bit values widen).
  if (read.allocations.total > 4 * bytes.length + 64) throw new Error(`reading tensors allocated ${read.allocations.total} bytes for a ${bytes.length}-byte file`);
  if (!read.result.ok) throw new Error(`a tensor of an accepted header failed to read: ${read.result.error.message}`);
  r.close();
  return { ok: true };
}

// Boundary values for header fields: wrong types, negatives, fractions, past-safe integers, huge arrays.
const numberish = fc.oneof(
  fc.constantFrom(0, 1, 2, 3, 4, 8, 16, -1, 0.5, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 63, 1e308, -0, Number.MAX_SAFE_INTEGER),
  fc.integer({ min: 0, max: 64 }),
);
const oddValue = fc.oneof(numberish, fc.constantFrom(null, true, '', '1', [], {}, [1, 2, 3], { __proto__: null }), fc.jsonValue({ maxDepth: 2 }));
const entryArb = fc.record(
  {
    dtype: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('BF16', 'F16', 'F32', 'U8', 'I8') }, { weight: 1, arbitrary: fc.constantFrom('F64', 'I64', 'BOOL', 'bf16', '', 'toString', '__proto__', 'constructor') }, { weight: 1, arbitrary: oddValue }),
    shape: fc.oneof({ weight: 4, arbitrary: fc.array(numberish, { maxLength: 4 }) }, { weight: 1, arbitrary: oddValue }),
    data_offsets: fc.oneof({ weight: 4, arbitrary: fc.tuple(numberish, numberish) }, { weight: 1, arbitrary: fc.array(numberish, { maxLength: 3 }) }, { weight: 1, arbitrary: oddValue }),
  },
  { requiredKeys: [] },
);
const nameArb = fc.oneof(fc.constantFrom('w', 'model.norm.weight', '__metadata__', '__proto__', 'constructor', 'hasOwnProperty', ''), fc.string({ maxLength: 8 }));

describe('safetensors header, fuzzed', () => {
  const nAny = runs(6_000);
  it(titled('any JSON value as the header: FormatError or a consistent header', nAny), () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.nat({ max: 4096 }), (value, dataBytes) => {
        const json = enc.encode(JSON.stringify(value));
        const size = 8 + json.length + dataBytes;
        const r = typedOutcome('parseSafetensorsHeader', () => parseSafetensorsHeader('fuzz.safetensors', json, size));
        if (r.ok) expectConsistent(r.value, 8 + json.length, size);
      }),
      params(nAny),
    );
  }, timeoutFor(nAny, 1));

  const nEntries = runs(14_000);
  it(titled('entries with boundary dtypes, shapes and data_offsets: FormatError or a consistent header', nEntries), () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(nameArb, entryArb), { maxLength: 5 }), fc.nat({ max: 256 }), (entries, dataBytes) => {
        // Written by hand so that duplicate and prototype keys reach the parser as raw JSON text.
        const text = `{${entries.map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(', ')}}`;
        const json = enc.encode(text);
        const size = 8 + json.length + dataBytes;
        const before = prototypeSnapshot();
        const r = typedOutcome('parseSafetensorsHeader', () => parseSafetensorsHeader('fuzz.safetensors', json, size));
        expectPrototypesUntouched(before, ['dtype', 'shape', 'data_offsets']);
        if (r.ok) expectConsistent(r.value, 8 + json.length, size);
      }),
      params(nEntries),
    );
  }, timeoutFor(nEntries, 0.5));

  const nProto = runs(3_000);
  it(titled('a header whose entries sit behind __proto__ / constructor keys: no tensor is read from a prototype, nothing is polluted', nProto), () => {
    const valid = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };
    fc.assert(
      fc.property(fc.constantFrom('__proto__', 'constructor', 'prototype'), fc.constantFrom('entry', 'fields', 'metadata'), fc.boolean(), (key, where, alsoOwn) => {
        const text =
          where === 'entry' ? `{${JSON.stringify(key)}: {"w": ${JSON.stringify(valid)}}${alsoOwn ? `, "v": ${JSON.stringify(valid)}` : ''}}`
            : where === 'fields' ? `{"w": {${JSON.stringify(key)}: ${JSON.stringify(valid)}}}`
              : `{"__metadata__": {${JSON.stringify(key)}: {"polluted": "yes"}}, "w": ${JSON.stringify(valid)}}`;
        const json = enc.encode(text);
        const before = prototypeSnapshot();
        const r = typedOutcome('parseSafetensorsHeader', () => parseSafetensorsHeader('fuzz.safetensors', json, 8 + json.length + 8));
        expectPrototypesUntouched(before, ['w', 'dtype', 'shape', 'data_offsets', 'polluted']);
        if (r.ok) {
          // Only own keys are tensors: 'w' behind a prototype key is not one, and a field behind one is not read.
          expect(r.value.tensors.has('w')).toBe(where === 'metadata');
          expect(Object.getPrototypeOf(r.value.metadata)).toBe(null);
        } else {
          expect(r.error).toBeInstanceOf(FormatError);
        }
      }),
      params(nProto),
    );
  }, timeoutFor(nProto, 0.5));
});

describe('safetensors files, fuzzed', () => {
  const small = [
    buildSafetensors({ a: { dtype: 'F32', shape: [2, 2], data: new Uint8Array(16).fill(0x3f) }, b: { dtype: 'U8', shape: [3], data: Uint8Array.of(1, 2, 3) } }),
    buildSafetensors({ e: { dtype: 'BF16', shape: [4], data: new Uint8Array(8).fill(0x40) }, s: { dtype: 'F16', shape: [], data: Uint8Array.of(0, 0x3c) } }, { format: 'pt' }),
    buildSafetensors({ q: { dtype: 'I8', shape: [1, 5], data: Uint8Array.of(255, 0, 1, 2, 3) }, z: { dtype: 'F32', shape: [0, 3], data: new Uint8Array(0) } }),
    rawSafetensors({}),
  ];
  const shipped = readFileSync(new URL('../../models/tiny-bitnet/model.safetensors', import.meta.url));
  // float16.ts builds its 65536-entry F16 table (256 KiB) on first use: once per process, not per input.
  decodeF16(new Uint8Array(2));

  const nMut = runs(8_000);
  it(titled('mutated small files (bit flips, bytes, truncation, insertions, int fields): FormatError or consistent tensors that read, allocating at most the file', nMut), () => {
    fc.assert(
      fc.property(fc.nat({ max: small.length - 1 }), mutationsArb(4), (which, muts) => {
        openChecked(applyMutations(small[which], muts));
      }),
      params(nMut),
    );
  }, timeoutFor(nMut, 0.5));

  const nLen = runs(3_000);
  it(titled('a header length or a data offset past the file is refused with FormatError before allocating', nLen), () => {
    fc.assert(
      fc.property(fc.nat({ max: small.length - 2 }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.boolean(), fc.nat(), (which, extra, lengthField, pick) => {
        const base = small[which];
        let bytes: Uint8Array;
        if (lengthField) {
          bytes = Uint8Array.from(base);
          const floor = BigInt(base.length - 8 + 1);
          writeUint(bytes, 0, 8, floor + (extra % (2n ** 64n - floor)));
        } else {
          // One tensor's end (and span) moved past the data section; the rest kept.
          const { header, data } = splitSafetensors(base);
          const names = Object.keys(header).filter((k) => k !== '__metadata__');
          const name = names[pick % names.length];
          const entry = header[name] as { data_offsets: [number, number]; shape: number[]; dtype: string };
          const end = data.length + 1 + Number(extra % BigInt(2 ** 52));
          header[name] = { ...entry, shape: [end - entry.data_offsets[0]], dtype: 'U8', data_offsets: [entry.data_offsets[0], end] };
          bytes = rawSafetensors(header, data);
        }
        const r = openChecked(bytes);
        if (r.ok || !(r.error instanceof FormatError)) throw new Error('a length past the file was not refused');
      }),
      params(nLen),
    );
  }, timeoutFor(nLen, 0.5));

  const nShipped = runs(60);
  it(titled('the shipped model.safetensors with its header mutated: the HF loader gives weights or a BitnetError', nShipped), () => {
    const config = readFileSync(new URL('../../models/tiny-bitnet/config.json', import.meta.url));
    const headerEnd = 8 + Number(new DataView(shipped.buffer, shipped.byteOffset, 8).getBigUint64(0, true));
    fc.assert(
      fc.property(mutationsArb(3), (muts) => {
        const bytes = applyMutations(shipped, muts, headerEnd);
        const folder = memoryFolder('/fuzz/tiny-bitnet', { 'config.json': config, 'model.safetensors': bytes });
        const opened = typedOutcome('openHfCheckpoint', () => openHfCheckpoint(folder));
        if (!opened.ok) return;
        try {
          typedOutcome('readAllWeights', () => readAllWeights(opened.value.weights));
        } finally {
          opened.value.close();
        }
      }),
      params(nShipped),
    );
  }, timeoutFor(nShipped, 100));
});
