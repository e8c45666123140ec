/**
 * The reference engine against the float64 oracle of the shipped model: tokenization, the logits of every prompt
 * position, and the 48-token greedy continuation. Tolerance 1e-9 relative (absolute below magnitude 1): both
 * sides compute in float64, so what remains is summation order (~1e-15 here); see docs/numerics.md.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceEngine } from '../../src/engine/engine.js';
import { golden, MODEL_DIR, readF64, worstRelative } from '../helpers/golden.js';

let engine: InferenceEngine;
beforeAll(async () => {
  engine = await InferenceEngine.load(MODEL_DIR, { backend: 'reference' });
});
afterAll(() => engine.close());

describe('tiny-bitnet oracle [reference]', () => {
  it('has the four oracle prompts', () => {
    expect(golden.prompts.length).toBe(4);
  });

  for (const p of golden.prompts) {
    describe(`prompt ${p.index}: ${JSON.stringify(p.text)}`, () => {
      it('tokenizes to the oracle input ids (BOS first)', async () => {
        expect(await engine.tokenize(p.text)).toEqual(p.input_ids);
      });

      it('matches the oracle logits at every position within 1e-9', async () => {
        const want = readF64(p.logits_file);
        const got = await engine.logits({ tokenIds: p.input_ids });
        expect([got.rows, got.vocabSize]).toEqual(p.logits_shape);
        expect(got.data.length).toBe(want.length);
        const { ratio, index } = worstRelative(got.data, want, 1e-9);
        expect(ratio, `worst at position ${Math.floor(index / p.logits_shape[1])}, token ${index % p.logits_shape[1]}`).toBeLessThanOrEqual(1);
      });

      it('continues greedily with exactly the oracle ids', async () => {
        const r = await engine.generate({ tokenIds: p.input_ids }, { greedy: true, maxTokens: p.greedy_ids.length, ignoreEos: true });
        expect(r.tokenIds).toEqual(p.greedy_ids);
        expect(r.finishReason).toBe('length');
        expect(r.text).toBe(await engine.detokenize(p.greedy_ids));
      });
    });
  }
});
