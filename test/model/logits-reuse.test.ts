/**
 * forward's `reuse`: a decode loop hands its last logits back to be overwritten, so that a token costs no new
 * vocabulary-sized array (at a 128k vocabulary, 0.5 MB a token that would otherwise wait for the collector and sit
 * in the process's peak RSS). The values must be those of a forward without it.
 */
import { describe, expect, it } from 'vitest';
import { InferenceEngine } from '../../src/engine/engine.js';
import type { ForwardOptions, Logits } from '../../src/model/model.js';
import { MODEL_DIR } from '../helpers/golden.js';

const ids = [1, 450, 3681, 338];

/** Runs `check` on a freshly loaded shipped model, closing it however the check ends. */
async function withEngine(backend: string, check: (engine: InferenceEngine) => Promise<void>): Promise<void> {
  const engine = await InferenceEngine.load(MODEL_DIR, { backend, threads: 1 });
  try {
    await check(engine);
  } finally {
    engine.close();
  }
}

describe.each(['reference', 'wasm'])('forward with reuse [%s]', (backend) => {
  it('fills and returns the given array, with the logits a fresh forward computes', () =>
    withEngine(backend, async (engine) => {
      const model = engine.model;
      const fresh = model.createCache(8);
      await model.forward(Int32Array.from(ids.slice(0, 3)), fresh);
      const want = (await model.forward(Int32Array.of(ids[3]), fresh)).data;

      const cache = model.createCache(8);
      const first = (await model.forward(Int32Array.from(ids.slice(0, 3)), cache)).data;
      const kept = first.slice();
      const second = (await model.forward(Int32Array.of(ids[3]), cache, { reuse: first })).data;
      expect(second).toBe(first);
      expect(Array.from(second)).toEqual(Array.from(want));
      expect(Array.from(second)).not.toEqual(Array.from(kept));
    }));

  it('returns a new array, leaving the given one alone, when it does not fit', () =>
    withEngine(backend, async (engine) => {
      const model = engine.model;
      const V = model.config.vocabSize;
      const own = engine.backendInfo.precision === 'float64' ? Float64Array : Float32Array;
      const other = own === Float64Array ? Float32Array : Float64Array;
      for (const misfit of [new other(V).fill(3), new own(V - 1).fill(3)]) {
        const out = (await model.forward(Int32Array.from(ids), model.createCache(8), { reuse: misfit })).data;
        expect(out).not.toBe(misfit);
        expect(out.length).toBe(V);
        expect(Array.from(misfit).every((v) => v === 3)).toBe(true);
      }
    }));

  it('the decode loop hands each token its previous logits back (sampling: greedy steps go through forwardArgmax)', () =>
    withEngine(backend, async (engine) => {
      const model = engine.model;
      const calls: { reuse: ForwardOptions['reuse']; data: Logits['data'] }[] = [];
      const forward = model.forward.bind(model);
      model.forward = async (tokenIds, cache, options) => {
        const r = await forward(tokenIds, cache, options);
        calls.push({ reuse: options?.reuse, data: r.data });
        return r;
      };
      const r = await engine.generate({ tokenIds: ids }, { temperature: 0.8, seed: 3, maxTokens: 5, ignoreEos: true });
      expect(r.tokenIds).toHaveLength(5);
      expect(calls).toHaveLength(5); // the prompt, then 4 decode steps
      for (let i = 1; i < calls.length; i++) expect(calls[i].reuse).toBe(calls[i - 1].data);
      expect(calls.every((c) => c.data === calls[0].data)).toBe(true);
    }));

  it('greedy steps on the host (forwardArgmax without a device argmax) read each token into the same array', () =>
    withEngine(backend, async (engine) => {
      const model = engine.model;
      const target = (model as unknown as { backend: { read: (x: unknown, into?: unknown) => Promise<Float32Array | Float64Array> } }).backend;
      const intos: unknown[] = [];
      const outs: unknown[] = [];
      const read = target.read.bind(target);
      target.read = async (x, into) => {
        intos.push(into);
        const out = await read(x, into);
        outs.push(out);
        return out;
      };
      const r = await engine.generate({ tokenIds: ids }, { greedy: true, maxTokens: 5, ignoreEos: true });
      expect(r.tokenIds).toHaveLength(5);
      expect(outs).toHaveLength(5); // the prompt's logits, then 4 greedy steps
      for (let i = 2; i < outs.length; i++) expect(intos[i]).toBe(outs[i - 1]);
    }));
});
