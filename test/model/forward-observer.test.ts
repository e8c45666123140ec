/**
 * A forward pass's observer (ForwardOptions.observer, the public tracing hook): it sees every intermediate of
 * formats §4.2 in the order the pass computes them, with the shape each has, and reads values that are the pass's
 * own — the embedding rows of the checkpoint's table, and the logits forward returns; observing changes no logit.
 */
import { describe, expect, it } from 'vitest';
import { InferenceEngine } from '../../src/engine/engine.js';
import type { TraceName } from '../../src/model/model.js';
import { loadCheckpoint } from '../../src/model/load.js';
import { MODEL_DIR } from '../helpers/golden.js';

const LAYER_STEPS: TraceName[] = ['attn_norm', 'q', 'k', 'v', 'attn_out', 'attn_sub_norm', 'attn_o_proj', 'attn_residual', 'ffn_norm', 'ffn_gate', 'ffn_up', 'ffn_act', 'ffn_sub_norm', 'ffn_down', 'ffn_residual'];

describe('forward observer', () => {
  it('sees every intermediate in order, with its shape, and values that are the pass\'s own', async () => {
    const engine = await InferenceEngine.load(MODEL_DIR, { backend: 'reference' });
    try {
      const model = engine.model;
      const c = model.config;
      const ids = Int32Array.of(0, 412, 73, 1290);
      const seen: { name: TraceName; layer: number; data: Float64Array | Float32Array }[] = [];
      const traced = await model.forward(ids, model.createCache(8), {
        observer: async (name, layer, read) => {
          seen.push({ name, layer, data: (await read()).slice() });
        },
      });
      const plain = await model.forward(ids, model.createCache(8));

      const expected: [TraceName, number][] = [['embedding', -1]];
      for (let l = 0; l < c.numLayers; l++) for (const name of LAYER_STEPS) expected.push([name, l]);
      expected.push(['output_norm', -1], ['logits', -1]);
      expect(seen.map((s) => [s.name, s.layer])).toEqual(expected);

      const T = ids.length;
      const width: Partial<Record<TraceName, number>> = {
        q: c.numHeads * c.headDim, k: c.numKvHeads * c.headDim, v: c.numKvHeads * c.headDim, attn_out: c.numHeads * c.headDim, attn_sub_norm: c.numHeads * c.headDim,
        ffn_gate: c.intermediateSize, ffn_up: c.intermediateSize, ffn_act: c.intermediateSize, ffn_sub_norm: c.intermediateSize, logits: c.vocabSize,
      };
      for (const s of seen) expect(s.data.length, `${s.name} ${s.layer}`).toBe((s.name === 'logits' ? 1 : T) * (width[s.name] ?? c.hiddenSize));

      // The embedding is a row gather from the checkpoint's own table.
      const table = loadCheckpoint(MODEL_DIR).weights.tokenEmbedding;
      const embedding = seen[0].data;
      ids.forEach((id, t) => {
        for (let i = 0; i < c.hiddenSize; i++) expect(embedding[t * c.hiddenSize + i]).toBe(table.data[id * c.hiddenSize + i]);
      });
      // The last trace is the logits forward returns, and an observed pass computes the same bits as a plain one.
      expect(Array.from(seen[seen.length - 1].data)).toEqual(Array.from(traced.data));
      expect(Array.from(traced.data)).toEqual(Array.from(plain.data));
    } finally {
      engine.close();
    }
  });
});
