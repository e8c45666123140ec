/**
 * Fuzzing the GGUF reader and everything that reads a GGUF's contents (docs/fuzzing.md): the header parser
 * (src/formats/gguf/reader.ts), the model loader and its config (src/model/load-gguf.ts, config.ts
 * `configFromGguf`), and the tokenizer and chat template built from metadata (src/tokenizer/gguf-tokenizer.ts,
 * chat-template.ts `chatTemplateFromGguf`). Inputs are valid files written by the project's writer
 * (src/formats/gguf/writer.ts) and the golden llama.cpp files, mutated; and metadata of every value type.
 *
 * Properties: a file opens or fails with a BitnetError (never a TypeError / RangeError); no case takes longer than
 * CASE_LIMIT_MS; no typed array larger than the file is allocated; a count or length claiming more than the file
 * holds is refused; what opens is self-consistent (tensors inside the file) and a valid file round-trips.
 */
import { closeSync, ftruncateSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { synthVocabulary } from '../../src/convert/synth.js';
import { FormatError } from '../../src/errors.js';
import { GgufMetadata, GGUF_VALUE_TYPES, type GgufArray, type GgufScalar, type GgufValue, type GgufValueType } from '../../src/formats/gguf/metadata.js';
import { GgufFile } from '../../src/formats/gguf/reader.js';
import { gguf, writeGguf, type GgufTensorToWrite } from '../../src/formats/gguf/writer.js';
import { configFromGguf } from '../../src/model/config.js';
import { loadGguf } from '../../src/model/load-gguf.js';
import { chatTemplateFromGguf, renderChat } from '../../src/tokenizer/chat-template.js';
import { specialTokens, tokenizerJsonFromGguf } from '../../src/tokenizer/gguf-tokenizer.js';
import { tokenizerFromJson } from '../../src/tokenizer/hf-tokenizer.js';
import { SIZE_FIELDS, walkGguf } from './gguf-walk.js';
import { expectSaneConfig } from './sane-config.js';
import { applyMutations, mutationsArb, writeUint } from './mutate.js';
import { measureAllocations, params, runs, scratchDir, timeoutFor, titled, typedOutcome, typedOutcomeAsync } from './runs.js';

const dir = scratchDir('bitnet-fuzz-gguf-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
const scratch = join(dir, 'case.gguf');

function save(bytes: Uint8Array, path = scratch): string {
  writeFileSync(path, bytes);
  return path;
}

// -----------------------------------------------------------------------------------------------------------------
// Valid files: arbitrary metadata of every value type and tensors of several types, through the project's writer
// -----------------------------------------------------------------------------------------------------------------

/** Test-side size table (formats §1.3), independent of src/formats/gguf/types.ts: id → [block elems, block bytes]. */
const TYPE_SIZES: Record<number, [number, number]> = { 0: [1, 4], 1: [1, 2], 8: [32, 34], 24: [1, 1], 28: [1, 8], 30: [1, 2], 34: [256, 54], 35: [256, 66] };

function scalarArb(type: GgufValueType): fc.Arbitrary<GgufScalar> {
  switch (type) {
    case 'u8': return fc.nat({ max: 255 });
    case 'i8': return fc.integer({ min: -128, max: 127 });
    case 'u16': return fc.nat({ max: 0xffff });
    case 'i16': return fc.integer({ min: -0x8000, max: 0x7fff });
    case 'u32': return fc.nat({ max: 0xffffffff });
    case 'i32': return fc.integer({ min: -0x80000000, max: 0x7fffffff });
    case 'f32': return fc.float();
    case 'f64': return fc.double();
    case 'u64': return fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
    case 'i64': return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case 'bool': return fc.boolean();
    case 'string': return fc.string({ unit: 'binary', maxLength: 24 });
    case 'array': throw new Error('not a scalar');
  }
}

const scalarTypes = GGUF_VALUE_TYPES.filter((t) => t !== 'array');

function arrayArb(depth: number): fc.Arbitrary<GgufArray> {
  const element = depth >= 3 ? fc.constantFrom(...scalarTypes) : fc.constantFrom(...GGUF_VALUE_TYPES);
  return element.chain((elementType) =>
    fc.record({
      elementType: fc.constant(elementType),
      items: fc.array<GgufScalar | GgufArray>(elementType === 'array' ? arrayArb(depth + 1) : scalarArb(elementType), { maxLength: 6 }),
    }),
  );
}

const valueArb: fc.Arbitrary<GgufValue> = fc.constantFrom(...GGUF_VALUE_TYPES).chain((type) =>
  (type === 'array' ? arrayArb(1) : scalarArb(type)).map((value) => ({ type, value }) as GgufValue),
);

const keyArb = fc.stringMatching(/^[a-z_]{1,8}(\.[a-z_]{1,8}){0,2}$/).filter((k) => k !== 'general.alignment' && k !== 'general.architecture');

interface Spec {
  metadata: Map<string, GgufValue>;
  tensors: GgufTensorToWrite[];
  alignment: number;
}

const tensorArb = fc
  .record({
    typeId: fc.constantFrom(...Object.keys(TYPE_SIZES).map(Number)),
    blocks: fc.integer({ min: 1, max: 2 }),
    rest: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 3 }),
    seed: fc.nat({ max: 255 }),
  })
  .map(({ typeId, blocks, rest, seed }) => {
    const [elems, bytes] = TYPE_SIZES[typeId];
    const dims = [elems * blocks, ...rest];
    const size = (dims[0] / elems) * bytes * rest.reduce((a, b) => a * b, 1);
    const data = Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed) & 0xff);
    return { typeId, dims, data };
  });

const specArb: fc.Arbitrary<Spec> = fc.record({
  metadata: fc.uniqueArray(fc.tuple(keyArb, valueArb), { maxLength: 8, selector: ([k]) => k }).map((kv) => new Map(kv)),
  tensors: fc.uniqueArray(fc.tuple(fc.stringMatching(/^[a-z][a-z0-9_.]{0,20}$/), tensorArb), { maxLength: 4, selector: ([n]) => n }).map((ts) =>
    ts.map(([name, t]) => ({ name, ...t })),
  ),
  alignment: fc.constantFrom(8, 16, 32, 64),
});

function writeSpec(s: Spec, path = join(dir, `v${fileNo++}.gguf`)): Uint8Array {
  writeGguf(path, s.metadata, s.tensors, s.alignment);
  return readFileSync(path);
}

/** UTF-8 round trip of a string (lone surrogates become U+FFFD when written). */
const utf8 = (s: string) => new TextDecoder().decode(new TextEncoder().encode(s));

function expectSameValue(got: GgufScalar | GgufArray, want: GgufScalar | GgufArray, type: GgufValueType): void {
  if (type === 'array') {
    const g = got as GgufArray;
    const w = want as GgufArray;
    expect(g.elementType).toBe(w.elementType);
    expect(g.items.length).toBe(w.items.length);
    g.items.forEach((x, i) => expectSameValue(x, w.items[i], w.elementType));
  } else if (type === 'string') {
    expect(got).toBe(utf8(want as string));
  } else if (type === 'f32') {
    expect(Object.is(got, Math.fround(want as number)) || (Number.isNaN(got) && Number.isNaN(want))).toBe(true);
  } else {
    expect(Object.is(got, want) || (Number.isNaN(got) && Number.isNaN(want))).toBe(true);
  }
}

// -----------------------------------------------------------------------------------------------------------------
// A complete (micro) BitNet model: metadata llama.cpp's converter writes, F16 ternary projections
// -----------------------------------------------------------------------------------------------------------------

const MICRO = { hidden: 16, heads: 2, kvHeads: 1, ff: 32, vocab: 260, context: 32 };

function f16Ternary(rows: number, cols: number, seed: number): Uint8Array {
  const out = new Uint8Array(rows * cols * 2);
  const v = new DataView(out.buffer);
  // 0x3c00 = 1.0, 0xbc00 = −1.0: {−s, 0, +s} with s = 1.
  for (let i = 0; i < rows * cols; i++) v.setUint16(2 * i, [0, 0x3c00, 0xbc00][(i * 7 + seed) % 3], true);
  return out;
}

function f32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

function microModel(): Uint8Array {
  const { hidden: d, heads, kvHeads, ff, vocab: nv, context } = MICRO;
  const headDim = d / heads;
  const v = synthVocabulary(nv);
  const meta = new Map<string, GgufValue>([
    ['general.architecture', gguf.string('bitnet')],
    ['general.name', gguf.string('micro')],
    ['bitnet.vocab_size', gguf.u32(nv)],
    ['bitnet.context_length', gguf.u32(context)],
    ['bitnet.embedding_length', gguf.u32(d)],
    ['bitnet.block_count', gguf.u32(1)],
    ['bitnet.feed_forward_length', gguf.u32(ff)],
    ['bitnet.attention.head_count', gguf.u32(heads)],
    ['bitnet.attention.head_count_kv', gguf.u32(kvHeads)],
    ['bitnet.attention.layer_norm_rms_epsilon', gguf.f32(1e-5)],
    ['bitnet.rope.freq_base', gguf.f32(10000)],
    ['bitnet.rope.dimension_count', gguf.u32(headDim)],
    ['bitnet.hidden_activation', gguf.string('silu')],
    ['tokenizer.ggml.model', gguf.string('gpt2')],
    ['tokenizer.ggml.pre', gguf.string('llama-bpe')],
    ['tokenizer.ggml.tokens', gguf.strings(v.tokens)],
    ['tokenizer.ggml.token_type', gguf.i32s(v.types)],
    ['tokenizer.ggml.merges', gguf.strings(v.merges)],
    ['tokenizer.ggml.bos_token_id', gguf.u32(v.bos)],
    ['tokenizer.ggml.eos_token_id', gguf.u32(v.eos)],
    ['tokenizer.ggml.add_bos_token', gguf.bool(true)],
    ['tokenizer.chat_template', gguf.string("{{ bos_token }}{% for m in messages %}{{ m['role'] + ': ' + m['content'] + eos_token }}{% endfor %}")],
  ]);
  const norm = (n: number) => f32Bytes(Array.from({ length: n }, (_, i) => 1 + i / 64));
  const embd = new Uint8Array(nv * d * 2);
  new Uint16Array(embd.buffer).fill(0x3800); // 0.5
  const tensors: GgufTensorToWrite[] = [
    { name: 'token_embd.weight', dims: [d, nv], typeId: 1, data: embd },
    { name: 'output_norm.weight', dims: [d], typeId: 0, data: norm(d) },
    { name: 'blk.0.attn_norm.weight', dims: [d], typeId: 0, data: norm(d) },
    { name: 'blk.0.attn_q.weight', dims: [d, d], typeId: 1, data: f16Ternary(d, d, 1) },
    { name: 'blk.0.attn_k.weight', dims: [d, kvHeads * headDim], typeId: 1, data: f16Ternary(kvHeads * headDim, d, 2) },
    { name: 'blk.0.attn_v.weight', dims: [d, kvHeads * headDim], typeId: 1, data: f16Ternary(kvHeads * headDim, d, 3) },
    { name: 'blk.0.attn_sub_norm.weight', dims: [d], typeId: 0, data: norm(d) },
    { name: 'blk.0.attn_output.weight', dims: [d, d], typeId: 1, data: f16Ternary(d, d, 4) },
    { name: 'blk.0.ffn_norm.weight', dims: [d], typeId: 0, data: norm(d) },
    { name: 'blk.0.ffn_gate.weight', dims: [d, ff], typeId: 1, data: f16Ternary(ff, d, 5) },
    { name: 'blk.0.ffn_up.weight', dims: [d, ff], typeId: 1, data: f16Ternary(ff, d, 6) },
    { name: 'blk.0.ffn_sub_norm.weight', dims: [ff], typeId: 0, data: norm(ff) },
    { name: 'blk.0.ffn_down.weight', dims: [ff, d], typeId: 1, data: f16Ternary(d, ff, 7) },
  ];
  const path = join(dir, 'micro.gguf');
  writeGguf(path, meta, tensors);
  return readFileSync(path);
}

// -----------------------------------------------------------------------------------------------------------------
// Checks shared by the properties
// -----------------------------------------------------------------------------------------------------------------

/**
 * Opens `path` (of `size` bytes) and reads every tensor: a FormatError or a consistent result, with no typed
 * array larger than the file and at most three times the file in all (the read window, then the tensors).
 */
function openChecked(path: string, size: number): { ok: boolean; error?: Error } {
  const { result, allocations } = measureAllocations(() =>
    typedOutcome('GgufFile.open', () => {
      const f = GgufFile.open(path);
      try {
        for (const t of f.tensors.values()) {
          if (t.offset < f.header.dataStart || t.offset + t.byteSize > size) throw new Error(`tensor '${t.name}' lies outside the data section`);
          f.readTensorBytes(t.name);
        }
        for (const v of f.metadata.entries.values()) if (v.type === 'array' && (v.value as GgufArray).items.length > size) throw new Error('array longer than the file');
      } finally {
        f.close();
      }
    }),
  );
  if (allocations.largest > size) throw new Error(`allocated ${allocations.largest} bytes at once for a ${size}-byte file`);
  if (allocations.total > 3 * size + 64) throw new Error(`allocated ${allocations.total} bytes in all for a ${size}-byte file`);
  return result.ok ? { ok: true } : { ok: false, error: result.error };
}

/** Everything the engine reads from a GGUF's metadata, each a result or a BitnetError. */
function readMetadata(meta: GgufMetadata, vocab: number): void {
  const config = typedOutcome('configFromGguf', () => configFromGguf(meta, vocab, true));
  if (config.ok) expectSaneConfig(config.value);
  typedOutcome('tokenizerJsonFromGguf', () => tokenizerJsonFromGguf(meta));
  typedOutcome('specialTokens', () => specialTokens(meta));
  const chat = typedOutcome('chatTemplateFromGguf', () => chatTemplateFromGguf(meta));
  if (chat.ok && chat.value !== null) {
    const t = chat.value;
    typedOutcome('renderChat', () => renderChat([{ role: 'user', content: 'hi' }], { template: t.template, bosToken: t.bosToken, eosToken: t.eosToken }));
  }
}

// -----------------------------------------------------------------------------------------------------------------
// Properties
// -----------------------------------------------------------------------------------------------------------------

const basePool: Uint8Array[] = fc.sample(specArb, { numRuns: 48, seed: 7 }).map((s) => writeSpec(s));
const micro = microModel();
const pool = [...basePool, micro];

describe('GGUF reader, fuzzed', () => {
  const nRound = runs(400);
  it(titled('valid files of every metadata type and several tensor types round-trip through writer and reader', nRound), () => {
    fc.assert(
      fc.property(specArb, (s) => {
        const path = join(dir, 'roundtrip.gguf');
        writeSpec(s, path);
        const f = GgufFile.open(path);
        try {
          expect(f.header.alignment).toBe(s.alignment);
          for (const [key, v] of s.metadata) {
            const got = f.metadata.get(key);
            expect(got?.type).toBe(v.type);
            expectSameValue(got!.value, v.value, v.type);
          }
          expect([...f.tensors.keys()]).toEqual(s.tensors.map((t) => t.name));
          for (const t of s.tensors) {
            expect(f.tensor(t.name).dims).toEqual(t.dims);
            expect(f.readTensorBytes(t.name)).toEqual(t.data);
          }
        } finally {
          f.close();
        }
      }),
      params(nRound),
    );
  }, timeoutFor(nRound, 2));

  const nMut = runs(8_000);
  it(titled('mutated files (bit flips, bytes, truncation, insertions, int fields) open or fail with FormatError, allocating at most the file', nMut), () => {
    fc.assert(
      fc.property(fc.nat({ max: pool.length - 1 }), mutationsArb(4), (which, muts) => {
        const b = applyMutations(pool[which], muts);
        openChecked(save(b), b.length);
      }),
      params(nMut),
    );
  }, timeoutFor(nMut, 1));

  const nField = runs(3_000);
  it(titled('a count, length, dim or offset set beyond the bytes available is refused with FormatError before allocating', nField), () => {
    const targets = pool.map((b) => walkGguf(b).filter((f) => SIZE_FIELDS.includes(f.kind)));
    fc.assert(
      fc.property(fc.nat({ max: pool.length - 1 }), fc.nat(), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (which, pick, extra) => {
        const fields = targets[which];
        fc.pre(fields.length > 0);
        const field = fields[pick % fields.length];
        const base = pool[which];
        // Past the file for a count or length; past 16× the file for a dim (the densest type stores 0.14 bytes/element).
        const floor = BigInt(base.length + 1) * (field.kind === 'dim' ? 16n : 1n);
        const max = field.bytes === 4 ? 2n ** 32n - 1n : 2n ** 64n - 1n;
        const value = floor + (extra % (max - floor + 1n));
        const b = Uint8Array.from(base);
        writeUint(b, field.at, field.bytes, value);
        const r = openChecked(save(b), b.length);
        if (r.ok || !(r.error instanceof FormatError)) throw new Error(`${field.kind} at byte ${field.at} set to ${value} was not refused`);
      }),
      params(nField),
    );
  }, timeoutFor(nField, 1));

  const nGolden = runs(80);
  it(titled('the golden llama.cpp files (F32, F16, TQ1_0, TQ2_0), headers mutated: FormatError or a consistent file and metadata', nGolden), () => {
    const golden = ['f32', 'f16', 'tq1_0', 'tq2_0'].map((t) => {
      const path = new URL(`../../golden/llamacpp/bitnet-d256-L2-s1-${t}.gguf`, import.meta.url);
      const f = GgufFile.open(path.pathname);
      const { dataStart } = f.header;
      f.close();
      const bytes = readFileSync(path);
      return { header: bytes.subarray(0, dataStart), size: bytes.length };
    });
    const path = join(dir, 'golden-case.gguf');
    fc.assert(
      fc.property(fc.nat({ max: golden.length - 1 }), mutationsArb(3), (which, muts) => {
        const g = golden[which];
        const header = applyMutations(g.header, muts);
        // The header as mutated, then a hole to the original size (tensor data reads as zeros).
        const fd = openSync(path, 'w');
        try {
          writeSync(fd, header, 0, header.length, 0);
          ftruncateSync(fd, g.size - g.header.length + header.length);
        } finally {
          closeSync(fd);
        }
        const size = g.size - g.header.length + header.length;
        const r = openChecked(path, size);
        if (r.ok) {
          const f = GgufFile.open(path);
          try {
            readMetadata(f.metadata, 4096);
          } finally {
            f.close();
          }
        }
      }),
      params(nGolden),
    );
  }, timeoutFor(nGolden, 30));
});

describe('GGUF model loading, fuzzed', () => {
  const nLoad = runs(1_200);
  it(titled('a mutated micro BitNet GGUF loads (config sane) or fails with a BitnetError; its tokenizer and chat template likewise', nLoad), () => {
    const path = join(dir, 'micro-case.gguf');
    fc.assert(
      fc.property(mutationsArb(3), (muts) => {
        const b = applyMutations(micro, muts);
        save(b, path);
        const loaded = typedOutcome('loadGguf', () => loadGguf(path));
        if (loaded.ok) {
          expectSaneConfig(loaded.value.config);
          readMetadata(loaded.value.metadata, MICRO.vocab);
        }
      }),
      params(nLoad),
    );
  }, timeoutFor(nLoad, 3));

  const microMeta = (() => {
    const f = GgufFile.open(save(micro, join(dir, 'micro-meta.gguf')));
    const m = f.metadata;
    f.close();
    return m;
  })();
  const keys = [...microMeta.entries.keys()];
  const edit = fc.oneof(
    fc.record({ op: fc.constant('delete' as const), key: fc.constantFrom(...keys) }),
    fc.record({ op: fc.constant('retype' as const), key: fc.constantFrom(...keys), value: valueArb }),
    fc.record({
      op: fc.constant('number' as const),
      key: fc.constantFrom(...keys),
      type: fc.constantFrom<GgufValueType>('u8', 'i8', 'u32', 'i32', 'u64', 'i64', 'f32', 'f64'),
      n: fc.oneof(fc.constantFrom(0, -1, 1, 2, 3, 7, 259, 260, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 40, 2 ** 53 - 1, 2 ** 53, NaN, Infinity, -Infinity, 1e-45), fc.integer({ min: -300, max: 300 })),
    }),
    fc.record({ op: fc.constant('string' as const), key: fc.constantFrom(...keys), s: fc.oneof(fc.constantFrom('', 'bitnet', 'bitnet-b1.58', 'llama', 'gpt2', 'default', 'relu2', 'linear', '__proto__', 'constructor'), fc.string({ maxLength: 12 })) }),
    fc.record({ op: fc.constant('tokens' as const), items: fc.array(fc.oneof(fc.constantFrom('', ' ', '__proto__', 'constructor', 'toString', '<|begin_of_text|>', 'a b'), fc.string({ maxLength: 4 })), { maxLength: 12 }) }),
  );

  function numberValue(type: GgufValueType, n: number): GgufValue {
    if (type === 'f32') return { type, value: Math.fround(n) };
    if (type === 'f64') return { type, value: n };
    if (!Number.isFinite(n)) return { type, value: 0 };
    if (type === 'u64' || type === 'i64') return { type, value: BigInt.asIntN(64, BigInt(Math.trunc(n))) * (type === 'u64' && n < 0 ? -1n : 1n) };
    return { type, value: Math.trunc(n) };
  }

  const nMeta = runs(5_000);
  it(titled('metadata with keys deleted, retyped, or set to boundary numbers and odd strings: config, tokenizer and chat template are results or BitnetErrors', nMeta), () => {
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 5 }), (edits) => {
        const entries = new Map(microMeta.entries);
        for (const e of edits) {
          if (e.op === 'delete') entries.delete(e.key);
          else if (e.op === 'retype') entries.set(e.key, e.value);
          else if (e.op === 'number') entries.set(e.key, numberValue(e.type, e.n));
          else if (e.op === 'string') entries.set(e.key, { type: 'string', value: e.s });
          else entries.set('tokenizer.ggml.tokens', { type: 'array', value: { elementType: 'string', items: e.items } });
        }
        readMetadata(new GgufMetadata('fuzz.gguf', entries), MICRO.vocab);
      }),
      params(nMeta),
    );
  }, timeoutFor(nMeta, 3));

  const nTok = runs(150);
  it(titled('a tokenizer.json built from mutated GGUF metadata loads in the tokenizers runtime or fails with TokenizerError', nTok), async () => {
    const tokens = microMeta.strings('tokenizer.ggml.tokens');
    await fc.assert(
      fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 3 }), fc.array(fc.nat({ max: tokens.length - 1 }), { maxLength: 3 }), async (edits, renames) => {
        const entries = new Map(microMeta.entries);
        // Tokens renamed to prototype keys: a vocabulary may hold "__proto__" or "constructor" as a token.
        const renamed = [...tokens];
        renames.forEach((id, i) => (renamed[id] = ['__proto__', 'constructor', 'hasOwnProperty'][i % 3]));
        entries.set('tokenizer.ggml.tokens', { type: 'array', value: { elementType: 'string', items: renamed } });
        for (const e of edits) if (e.op === 'delete' && !e.key.startsWith('tokenizer.ggml.tokens')) entries.delete(e.key);
        const meta = new GgufMetadata('fuzz.gguf', entries);
        const json = typedOutcome('tokenizerJsonFromGguf', () => tokenizerJsonFromGguf(meta));
        if (!json.ok) return;
        const tok = await typedOutcomeAsync('tokenizerFromJson', () => tokenizerFromJson(json.value, 'fuzz.gguf'));
        if (tok.ok) {
          const ids = await typedOutcomeAsync('encode', () => tok.value.encode('hello __proto__ constructor world'));
          if (ids.ok) await typedOutcomeAsync('decode', () => tok.value.decode(ids.value));
          // Every token keeps its id: a token spelled like a prototype key is not lost from the vocabulary.
          for (const id of renames) expect(tok.value.tokenToId(renamed[id])).toBe(renamed.indexOf(renamed[id]));
        }
      }),
      params(nTok),
    );
  }, timeoutFor(nTok, 20));
});
