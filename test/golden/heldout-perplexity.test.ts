/**
 * Held-out perplexity of the shipped model against the float64 oracle: 20,000 predictions of
 * golden/tiny-bitnet/heldout_tokens.i32.bin in windows of 256 positions, each with a fresh context. Every window's
 * NLL sum within 1e-9 relative, and the perplexity equal to 8 significant digits (|Δ| / ppl < 5e-9).
 * This is the slowest test (~80 windows of 256 tokens through the float64 reference).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceEngine } from '../../src/engine/engine.js';
import { golden, MODEL_DIR, readI32 } from '../helpers/golden.js';

let engine: InferenceEngine;
beforeAll(async () => {
  engine = await InferenceEngine.load(MODEL_DIR, { backend: 'reference' });
});
afterAll(() => engine.close());

describe('held-out perplexity [reference]', () => {
  it('equals the oracle to 8 significant digits, window by window', async () => {
    const g = golden.perplexity;
    const tokens = readI32(g.tokens_file);
    const r = await engine.perplexity(tokens, { window: g.window, maxPredictions: g.scored_tokens });
    expect(r.tokens).toBe(g.scored_tokens);
    expect(r.windowNllSums.length).toBe(g.window_nll_sums.length);
    r.windowNllSums.forEach((nll, k) => {
      expect(Math.abs(nll - g.window_nll_sums[k]) / g.window_nll_sums[k], `window ${k}`).toBeLessThan(1e-9);
    });
    expect(Math.abs(r.perplexity - g.ppl) / g.ppl).toBeLessThan(5e-9);
  });
});
