/**
 * `convertHfToGguf` is lossless: the shipped HF model converted to TQ2_0, TQ1_0 and I2_S loads back with
 * bit-identical weights (ternary codes, scales, embeddings, norms) and configuration, the same tokenizer, the
 * oracle's greedy ids, and the HF folder's logits exactly.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertHfToGguf, GGUF_TERNARY_TYPES } from '../../src/convert/hf-to-gguf.js';
import { InferenceEngine } from '../../src/engine/engine.js';
import { GgufFile } from '../../src/formats/gguf/reader.js';
import { loadGguf } from '../../src/model/load-gguf.js';
import { loadHfFolder } from '../../src/model/load-hf.js';
import { golden, MODEL_DIR, worstRelative } from '../helpers/golden.js';

const dir = mkdtempSync(join(tmpdir(), 'bitnet-convert-'));
const hf = loadHfFolder(MODEL_DIR);
let hfEngine: InferenceEngine;
beforeAll(async () => {
  hfEngine = await InferenceEngine.load(MODEL_DIR, { backend: 'reference' });
});
afterAll(() => hfEngine.close());

for (const type of GGUF_TERNARY_TYPES) {
  describe(`convert tiny-bitnet → ${type}`, () => {
    const out = join(dir, `tiny-${type}.gguf`);
    let engine: InferenceEngine;
    beforeAll(async () => {
      convertHfToGguf(MODEL_DIR, out, type);
      engine = await InferenceEngine.load(out, { backend: 'reference' });
    });
    afterAll(() => engine.close());

    it('writes the architecture, hyper-parameters and tensor types a reader expects', () => {
      const f = GgufFile.open(out);
      try {
        const arch = type === 'i2_s' ? 'bitnet-b1.58' : 'bitnet';
        expect(f.metadata.string('general.architecture')).toBe(arch);
        expect(f.metadata.integer(`${arch}.block_count`)).toBe(8);
        expect(f.metadata.integer(`${arch}.attention.head_count_kv`)).toBe(4);
        expect(f.metadata.string('tokenizer.ggml.pre')).toBe('llama-bpe');
        expect(f.tensor('blk.0.attn_q.weight').typeName).toBe(type.toUpperCase());
        expect(f.tensor('blk.0.attn_q.weight').dims).toEqual([256, 256]);
        expect(f.tensor('token_embd.weight').typeName).toBe('BF16');
        // TQ rows need whole 256-blocks: down_proj (704 inputs) falls back to exact F16 ternary values.
        expect(f.tensor('blk.0.ffn_down.weight').typeName).toBe(type === 'i2_s' ? 'I2_S' : 'F16');
        expect(f.tensors.has('output.weight')).toBe(false);
      } finally {
        f.close();
      }
    });

    it('loads back bit-identical weights', () => {
      const g = loadGguf(out);
      expect(g.weights.tokenEmbedding.data).toEqual(hf.weights.tokenEmbedding.data);
      expect(g.weights.outputNorm.data).toEqual(hf.weights.outputNorm.data);
      g.weights.layers.forEach((l, i) => {
        const h = hf.weights.layers[i];
        for (const name of ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const) {
          expect(l[name].packed, `layer ${i} ${name}`).toEqual(h[name].packed);
          expect(l[name].scale, `layer ${i} ${name} scale`).toBe(h[name].scale);
        }
        expect(l.ffnSubNorm.data).toEqual(h.ffnSubNorm.data);
      });
      // rms_norm_eps is a float32 key in GGUF; the loader reads back the decimal it came from (config.ts).
      expect({ ...g.config, source: '' }).toEqual({ ...hf.config, source: '' });
    });

    it('tokenizes, scores and continues exactly like the HF folder (oracle greedy ids, identical logits)', async () => {
      for (const p of golden.prompts) {
        expect(await engine.tokenize(p.text)).toEqual(p.input_ids);
        const [a, b] = [await engine.logits({ tokenIds: p.input_ids }), await hfEngine.logits({ tokenIds: p.input_ids })];
        expect(worstRelative(a.data, b.data, 1e-12).ratio).toBe(0);
        const r = await engine.generate({ tokenIds: p.input_ids }, { greedy: true, maxTokens: p.greedy_ids.length, ignoreEos: true });
        expect(r.tokenIds).toEqual(p.greedy_ids);
      }
    });
  });
}
