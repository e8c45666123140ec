/**
 * `synthesizeGguf` (bitnet synth): the tiny shape in every storage type loads and generates on the reference
 * backend; a seed reproduces a file byte for byte; the four types hold the same model; the weights have the drawn
 * distributions; the 700m and 2b4t headers describe their shapes (checked on a sparse file, no data generated);
 * the tokenizer vocabulary is consistent; writeGgufStream checks the sizes its sources promised.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, writeSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { f16Bits, SYNTH_SHAPES, SYNTH_TYPES, synthesizeGguf, synthPlan, synthVocabulary, type SynthType } from '../../src/convert/synth.js';
import { InferenceEngine } from '../../src/engine/engine.js';
import { f16ToNumber, numberToF16 } from '../../src/formats/float16.js';
import { GgufFile } from '../../src/formats/gguf/reader.js';
import { encodeGgufHeader, gguf, writeGgufStream } from '../../src/formats/gguf/writer.js';
import { unpackTernaryRows } from '../../src/formats/ternary-rows.js';
import { loadGguf, type GgufCheckpoint } from '../../src/model/load-gguf.js';
import type { TernaryMatrix } from '../../src/model/weights.js';

const dir = mkdtempSync(join(tmpdir(), 'bitnet-synth-'));
const tinyPath = (type: string, seed = 1): string => join(dir, `tiny-${type}-s${seed}.gguf`);
const PROJECTIONS = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const;

const loaded = new Map<SynthType, GgufCheckpoint>();
beforeAll(() => {
  for (const type of SYNTH_TYPES) {
    synthesizeGguf({ shape: 'tiny', type, seed: 1, out: tinyPath(type) });
    loaded.set(type, loadGguf(tinyPath(type)));
  }
});

/** Typed arrays with the same bytes (toEqual walks them element by element, far slower). */
function same(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function ternaryValues(m: TernaryMatrix): Int8Array {
  return unpackTernaryRows(m.packed, m.rows, m.cols);
}

describe('bitnet synth: tiny in every type', () => {
  for (const type of SYNTH_TYPES) {
    it(`${type}: loads on the reference backend with the shape's config and generates`, async () => {
      const engine = await InferenceEngine.load(tinyPath(type), { backend: 'reference' });
      try {
        const s = SYNTH_SHAPES.tiny;
        expect(engine.config).toMatchObject({
          hiddenSize: s.hiddenSize, numLayers: s.numLayers, numHeads: s.numHeads, numKvHeads: s.numKvHeads,
          intermediateSize: s.intermediateSize, vocabSize: s.vocabSize, contextLength: s.contextLength, ropeTheta: s.ropeTheta,
          activation: 'silu', tieWordEmbeddings: true, bosTokenId: 510, eosTokenIds: [511],
        });
        const r = await engine.generate('The history of the United States', { greedy: true, maxTokens: 6, ignoreEos: true });
        expect(r.promptTokenIds[0]).toBe(510);
        expect(r.tokenIds).toHaveLength(6);
        expect(r.tokenIds.every((id) => id >= 0 && id < s.vocabSize)).toBe(true);
      } finally {
        engine.close();
      }
    });
  }

  it('the four types decode to the same model: ternary codes, scales, embedding and norms', () => {
    const ref = loaded.get('tq2_0') as GgufCheckpoint;
    for (const type of SYNTH_TYPES) {
      const g = loaded.get(type) as GgufCheckpoint;
      expect(same(g.weights.tokenEmbedding.data, ref.weights.tokenEmbedding.data), `${type} token_embd`).toBe(true);
      expect(same(g.weights.outputNorm.data, ref.weights.outputNorm.data), `${type} output_norm`).toBe(true);
      expect(g.weights.lmHead).toBeNull();
      g.weights.layers.forEach((l, i) => {
        const want = ref.weights.layers[i];
        for (const name of PROJECTIONS) {
          expect(same(l[name].packed, want[name].packed), `${type} layer ${i} ${name}`).toBe(true);
          expect(l[name].scale, `${type} layer ${i} ${name} scale`).toBe(want[name].scale);
          expect(l[name].storage).toBe(type);
        }
        for (const name of ['attnNorm', 'attnSubNorm', 'ffnNorm', 'ffnSubNorm'] as const) expect(same(l[name].data, want[name].data), `${type} layer ${i} ${name}`).toBe(true);
      });
    }
  });

  it('the weights follow the drawn distributions', () => {
    const g = loaded.get('tq1_0') as GgufCheckpoint;
    const counts = [0, 0, 0];
    for (const l of g.weights.layers) {
      for (const name of PROJECTIONS) {
        const m = l[name];
        for (const t of ternaryValues(m)) counts[t + 1]++;
        // s = f16(U(0.8, 1.2) / √(⅔·n_in)): an f16 value in that range.
        const base = 1 / Math.sqrt((2 / 3) * m.cols);
        expect(f16ToNumber(numberToF16(m.scale))).toBe(m.scale);
        expect(m.scale).toBeGreaterThan(0.79 * base);
        expect(m.scale).toBeLessThan(1.21 * base);
      }
    }
    const total = counts[0] + counts[1] + counts[2];
    for (const c of counts) expect(Math.abs(c / total - 1 / 3)).toBeLessThan(0.003); // ~2.4 M values: σ ≈ 0.0003
    const e = g.weights.tokenEmbedding.data;
    const mean = e.reduce((a, b) => a + b, 0) / e.length;
    const std = Math.sqrt(e.reduce((a, b) => a + (b - mean) ** 2, 0) / e.length);
    expect(Math.abs(mean)).toBeLessThan(0.002);
    expect(Math.abs(std / (2 / Math.sqrt(256)) - 1)).toBeLessThan(0.01);
    const norms = g.weights.layers.flatMap((l) => [...l.attnNorm.data, ...l.ffnSubNorm.data]);
    const nm = norms.reduce((a, b) => a + b, 0) / norms.length;
    expect(Math.abs(nm - 1)).toBeLessThan(0.01);
  });
});

describe('bitnet synth: determinism', () => {
  it('the same seed gives byte-identical files; another seed differs', () => {
    const again = join(dir, 'again.gguf');
    synthesizeGguf({ shape: 'tiny', type: 'tq2_0', seed: 1, out: again });
    expect(readFileSync(again).equals(readFileSync(tinyPath('tq2_0')))).toBe(true);
    const other = join(dir, 'seed2.gguf');
    synthesizeGguf({ shape: 'tiny', type: 'tq2_0', seed: 2, out: other });
    const [a, b] = [readFileSync(other), readFileSync(tinyPath('tq2_0'))];
    expect(a.length).toBe(b.length);
    expect(a.equals(b)).toBe(false);
    const g = loadGguf(other);
    const ref = loaded.get('tq2_0') as GgufCheckpoint;
    expect(same(g.weights.layers[0].q.packed, ref.weights.layers[0].q.packed)).toBe(false);
    expect(same(g.weights.tokenEmbedding.data, ref.weights.tokenEmbedding.data)).toBe(false);
  });

  it('refuses an unknown shape or type and a negative seed, naming the option', () => {
    expect(() => synthPlan('7b', 'tq2_0', 1)).toThrow(/'shape' must be one of tiny, 700m, 2b4t/);
    expect(() => synthPlan('tiny', 'q4_0', 1)).toThrow(/'type' must be one of tq2_0, tq1_0, i2_s, f16/);
    expect(() => synthPlan('tiny', 'tq2_0', -1)).toThrow(/'seed'/);
  });

  it('f16Bits rounds exactly like numberToF16', () => {
    fc.assert(fc.property(fc.double({ noNaN: true }), (x) => f16Bits(x) === numberToF16(x)));
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffff }), fc.double({ min: -1, max: 1, noNaN: true }), (h, frac) => {
      // Values at and between neighbouring f16 values, ties included.
      const a = f16ToNumber(h);
      const b = f16ToNumber(h + 1);
      if (!Number.isFinite(a) || !Number.isFinite(b)) return true;
      for (const x of [a, (a + b) / 2, a + ((b - a) * Math.abs(frac)) / 2]) if (f16Bits(x) !== numberToF16(x)) return false;
      return true;
    }));
  });
});

describe('bitnet synth: 700m and 2b4t headers (sparse files, no data generated)', () => {
  for (const shape of ['700m', '2b4t'] as const) {
    for (const type of ['tq2_0', 'i2_s'] as const) {
      it(`${shape} ${type}: metadata, tensor dims and types, file size`, () => {
        const s = SYNTH_SHAPES[shape];
        const plan = synthPlan(shape, type, 1);
        const { header, offsets } = encodeGgufHeader(plan.metadata, plan.tensors, plan.tensors.map((t) => t.byteSize));
        const last = plan.tensors.length - 1;
        const path = join(dir, `${shape}-${type}.gguf`);
        const fd = openSync(path, 'w');
        writeSync(fd, header);
        ftruncateSync(fd, header.length + offsets[last] + plan.tensors[last].byteSize);
        closeSync(fd);
        const f = GgufFile.open(path);
        try {
          const m = f.metadata;
          expect(m.string('general.architecture')).toBe('bitnet');
          expect(m.integer('bitnet.embedding_length')).toBe(s.hiddenSize);
          expect(m.integer('bitnet.block_count')).toBe(s.numLayers);
          expect(m.integer('bitnet.attention.head_count')).toBe(s.numHeads);
          expect(m.integer('bitnet.attention.head_count_kv')).toBe(s.numKvHeads);
          expect(m.integer('bitnet.feed_forward_length')).toBe(s.intermediateSize);
          expect(m.integer('bitnet.context_length')).toBe(s.contextLength);
          expect(m.integer('bitnet.rope.dimension_count')).toBe(s.hiddenSize / s.numHeads);
          expect(m.number('bitnet.rope.freq_base')).toBe(s.ropeTheta);
          expect(m.strings('tokenizer.ggml.tokens')).toHaveLength(s.vocabSize);
          expect(f.tensors.size).toBe(2 + 11 * s.numLayers);
          expect(f.tensors.has('output.weight')).toBe(false);
          expect(f.tensor('token_embd.weight')).toMatchObject({ typeName: 'F16', dims: [s.hiddenSize, s.vocabSize] });
          const kv = (s.numKvHeads * s.hiddenSize) / s.numHeads;
          const want: Record<string, number[]> = {
            attn_q: [s.hiddenSize, s.hiddenSize], attn_k: [s.hiddenSize, kv], attn_v: [s.hiddenSize, kv], attn_output: [s.hiddenSize, s.hiddenSize],
            ffn_gate: [s.hiddenSize, s.intermediateSize], ffn_up: [s.hiddenSize, s.intermediateSize], ffn_down: [s.intermediateSize, s.hiddenSize],
          };
          for (let i = 0; i < s.numLayers; i++) {
            for (const [name, dims] of Object.entries(want)) {
              const t = f.tensor(`blk.${i}.${name}.weight`);
              expect(t.typeName).toBe(type.toUpperCase());
              expect(t.dims).toEqual(dims);
              expect(t.dims[0] % 256).toBe(0); // TQ rows are whole 256-blocks
            }
            expect(f.tensor(`blk.${i}.ffn_sub_norm.weight`)).toMatchObject({ typeName: 'F32', dims: [s.intermediateSize] });
          }
        } finally {
          f.close();
        }
      });
    }
  }
});

describe('synthVocabulary', () => {
  it('bytes first, unique tokens, every merge built from tokens into a token, BOS/EOS control at the end', () => {
    for (const size of [258, 512, 32002, 128256]) {
      const v = synthVocabulary(size);
      expect(v.tokens).toHaveLength(size);
      expect(new Set(v.tokens).size).toBe(size);
      expect(v.tokens[32]).toBe('\u0120'); // space in GPT-2's spelling
      expect(v.tokens[10]).toBe('\u010a');
      expect(v.tokens[65]).toBe('A');
      expect([v.bos, v.eos]).toEqual([size - 2, size - 1]);
      expect(v.types.filter((t) => t === 3)).toHaveLength(2);
      expect(v.merges).toHaveLength(size - 258);
      const known = new Set(v.tokens);
      const bad = v.merges.filter((merge) => {
        const [a, b] = merge.split(' ');
        return !(known.has(a) && known.has(b) && known.has(a + b));
      });
      expect(bad).toEqual([]);
    }
    expect(() => synthVocabulary(257)).toThrow(RangeError);
  });

  it('encodes text to multi-byte tokens and decodes it back unchanged', async () => {
    const engine = await InferenceEngine.load(tinyPath('tq2_0'), { backend: 'reference' });
    try {
      for (const text of ['the quick brown fox', 'Ünïcödé ✓ 日本語\n\ttabs  and  spaces', '']) {
        const ids = await engine.tokenize(text, { addSpecialTokens: false });
        expect(await engine.detokenize(ids)).toBe(text);
      }
      const ids = await engine.tokenize(' the', { addSpecialTokens: false });
      expect(ids.length).toBeLessThan(4);
    } finally {
      engine.close();
    }
  });
});

describe('writeGgufStream', () => {
  const source = (byteSize: number, chunks: number[]) => ({ name: 'x', dims: [byteSize], typeId: 24 /* I8 */, byteSize, chunks: () => chunks.map((n) => new Uint8Array(n).fill(7)) });

  it('writes chunked sources as one tensor each', () => {
    const path = join(dir, 'stream.gguf');
    writeGgufStream(path, new Map([['general.architecture', gguf.string('x')]]), [source(100, [30, 0, 70]), { ...source(5, [5]), name: 'y' }]);
    const f = GgufFile.open(path);
    try {
      expect([...f.readTensorBytes('x')]).toEqual(new Array(100).fill(7));
      expect(f.tensor('y').byteSize).toBe(5);
    } finally {
      f.close();
    }
  });

  it('refuses a source that yields more or fewer bytes than it promised, naming the tensor', () => {
    const path = join(dir, 'bad.gguf');
    expect(() => writeGgufStream(path, new Map(), [source(100, [60, 60])])).toThrow(/tensor 'x' yields more than its 100 bytes/);
    expect(() => writeGgufStream(path, new Map(), [source(100, [60])])).toThrow(/tensor 'x' yields 60 bytes, not its 100/);
  });
});

afterAll(() => loaded.clear());
