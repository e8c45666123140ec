/**
 * The opt-in lossy int8 lm_head (LoadOptions.lmHead = 'int8', docs/numerics.md) on the shipped model, against the
 * float64 oracle. It changes logits by design, so the bounds are measured ones with headroom, and what they imply:
 * - every logit within 1.0 of the oracle (measured: at most 0.55 over the four golden prompts);
 * - greedy ids equal to the oracle's up to the first step whose oracle top-2 margin is below 0.05, the rule of the
 *   exact float32 test (measured: it holds on all four prompts, two of which agree for all 48 steps). No bound
 *   derives it — a logit error of 0.55 could swap larger margins — so it is a regression check on this model;
 * - text perplexity of heldout-emma.txt within 0.5% of the oracle's (measured: 5e-5 relative).
 * Run on the wasm and native backends, which implement the same formula.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeBackend } from '../../src/backends/native/index.js';
import { InferenceEngine } from '../../src/engine/engine.js';
import { GOLDEN_DIR, golden, MODEL_DIR, readF64 } from '../helpers/golden.js';

const LOGIT_BOUND = 1.0;
const nativeUnavailable = await nativeBackend.unavailableReason();

// The same lossy formula on both backends that offer it (the native one is skipped, with its reason, where the addon is not built).
for (const backend of ['wasm', 'native'] as const) {
  const skip = backend === 'native' ? nativeUnavailable : null;
  describe.skipIf(skip !== null)(`tiny-bitnet oracle [${backend}, int8 lm_head, lossy]${skip === null ? '' : ` skipped: ${skip}`}`, () => {
    let engine: InferenceEngine;
    beforeAll(async () => {
      engine = await InferenceEngine.load(MODEL_DIR, { backend, lmHead: 'int8' });
    });
    afterAll(() => engine.close());

    it('says so in its backend features', () => {
      expect(engine.backendInfo.features).toContain('int8-lm-head');
    });

    for (const p of golden.prompts) {
      it(`prompt ${p.index}: logits within ${LOGIT_BOUND}, greedy ids up to the first near-tie`, async () => {
        const want = readF64(p.logits_file);
        const got = await engine.logits({ tokenIds: p.input_ids });
        let worst = 0;
        for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got.data[i] - want[i]));
        expect(worst).toBeLessThanOrEqual(LOGIT_BOUND);

        const r = await engine.generate({ tokenIds: p.input_ids }, { greedy: true, maxTokens: p.greedy_ids.length, ignoreEos: true });
        const close = p.greedy_top2_margins.findIndex((m) => m < 0.05);
        const agreeUntil = close < 0 ? p.greedy_ids.length : close;
        expect(r.tokenIds.slice(0, agreeUntil)).toEqual(p.greedy_ids.slice(0, agreeUntil));
      });
    }

    it('scores heldout-emma.txt within 0.5% of the oracle perplexity', async () => {
      const t = golden.text_perplexity;
      const r = await engine.perplexity(readFileSync(`${GOLDEN_DIR}${t.file}`, 'utf8'));
      expect(r.tokens).toBe(t.scored_tokens);
      expect(Math.abs(r.perplexity / t.ppl - 1)).toBeLessThan(5e-3);
    });
  });
}
