/**
 * The shipped model's golden checks for any float32 backend, against the float64 oracle, with the tolerances of
 * docs/numerics.md ("float32 backends"):
 * - position-0 logits within 1e-4 absolute (float32 rounding through 8 layers: measured 2e-6 on wasm; nothing can
 *   flip there that the oracle's tie margins allow — ties are measured in float64 and position 0 is the BOS row);
 * - every logit within 0.3: one activation rounded the other way (a .5 tie decided by a float32 ulp) moves this
 *   model's logits by up to ~0.14 (golden/tiny-bitnet/README.md), and that is allowed, not a bug;
 * - at least half the positions of each prompt within 1e-3 (a flip propagates only forward);
 * - greedy ids equal to the oracle's up to the first step whose oracle top-2 margin is below 0.05;
 * - text perplexity of heldout-emma.txt within 1e-3 relative (measured 2.2e-4 on wasm).
 * int8 activations and integer sums are exact given the same input (spec/); the float32 rounding is what differs.
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import type { InferenceEngine } from '../../src/engine/engine.js';
import { GOLDEN_DIR, golden, readF64 } from './golden.js';

export interface GoldenOptions {
  /**
   * Score only the first `n` perplexity windows (256 predictions each) and compare them with the oracle's sums for
   * those windows, for backends too slow for the whole text here (WebGPU on a CPU-emulated adapter). The bound is
   * then 3e-3 relative: a rounding flip shifts a window's NLL by a few tenths of a nat and two windows do not
   * average flips out as 21 do (measured over the first two windows: wasm 5.7e-4 with 0.14 and 0.15 nats per
   * window, webgpu 1.1e-3 with 0.37 and 0.21; the float64 reference 2e-15), while a wrong op is off by far more.
   */
  readonly perplexityWindows?: number;
}

/** Registers the golden tests; `engine()` is the loaded engine (valid inside tests). */
export function float32GoldenTests(engine: () => InferenceEngine, options: GoldenOptions = {}): void {
  for (const p of golden.prompts) {
    it(`prompt ${p.index}: logits within the float32 bounds, greedy ids up to the first near-tie`, async () => {
      const want = readF64(p.logits_file);
      const V = p.logits_shape[1];
      const got = await engine().logits({ tokenIds: p.input_ids });
      const perPosition: number[] = [];
      for (let t = 0; t < p.logits_shape[0]; t++) {
        let m = 0;
        for (let v = 0; v < V; v++) m = Math.max(m, Math.abs(got.data[t * V + v] - want[t * V + v]));
        perPosition.push(m);
      }
      expect(perPosition[0]).toBeLessThanOrEqual(1e-4);
      for (const d of perPosition) expect(d).toBeLessThanOrEqual(0.3);
      expect(perPosition.filter((d) => d <= 1e-3).length).toBeGreaterThanOrEqual(perPosition.length / 2);

      const r = await engine().generate({ tokenIds: p.input_ids }, { greedy: true, maxTokens: p.greedy_ids.length, ignoreEos: true });
      const nearTie = p.greedy_top2_margins.findIndex((m) => m < 0.05);
      const agreeUntil = nearTie < 0 ? p.greedy_ids.length : nearTie;
      expect(r.tokenIds.slice(0, agreeUntil)).toEqual(p.greedy_ids.slice(0, agreeUntil));
    });
  }

  const t = golden.text_perplexity;
  const windows = options.perplexityWindows;
  if (windows === undefined) {
    it('scores heldout-emma.txt within 1e-3 of the oracle perplexity', async () => {
      const r = await engine().perplexity(readFileSync(`${GOLDEN_DIR}${t.file}`, 'utf8'));
      expect(r.tokens).toBe(t.scored_tokens);
      expect(Math.abs(r.perplexity / t.ppl - 1)).toBeLessThan(1e-3);
    });
  } else {
    it(`scores the first ${windows} windows of heldout-emma.txt within 3e-3 of the oracle's perplexity over them`, async () => {
      const r = await engine().perplexity(readFileSync(`${GOLDEN_DIR}${t.file}`, 'utf8'), { maxPredictions: windows * t.window });
      expect(r.tokens).toBe(windows * t.window);
      expect(r.windowNllSums.length).toBe(windows);
      const want = Math.exp(t.window_nll_sums.slice(0, windows).reduce((a, b) => a + b, 0) / r.tokens);
      expect(Math.abs(r.perplexity / want - 1)).toBeLessThan(3e-3);
    });
  }
}
