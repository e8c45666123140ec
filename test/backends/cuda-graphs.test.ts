/**
 * CUDA graphs for repeated steps (src/backends/cuda/step-launches.ts) on the shipped model, with the kernels run by
 * the CPU emulator, whose driver captures a graph as the list of its launches and refuses any memory operation while
 * capturing (on a device that would run outside the graph or break the capture). Replaying must change no bit: the
 * logits read after every decode step, and the greedy ids, equal those of the same backend launching one by one,
 * and the same kernels run either way. Steps must actually be replayed; a step whose launches differ — attention's
 * plan changes when the context passes 128 positions, a new cache has other addresses — must not be served by a
 * stale graph; and no graph may outlive the memory it points at.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { argmax } from '../../src/argmax.js';
import type { CudaBackend } from '../../src/backends/cuda/index.js';
import { registerBackend } from '../../src/backends/registry.js';
import { InferenceEngine } from '../../src/engine/engine.js';
import { createEmulatedCudaBackend, emulatedCudaUnavailable } from '../helpers/cuda-emulator/backend.js';
import type { EmulatedCudaDriver } from '../helpers/cuda-emulator/driver.js';
import { MODEL_DIR } from '../helpers/golden.js';

const unavailable = emulatedCudaUnavailable();
const NAMES = { graphs: 'cuda-emulated-graphs', direct: 'cuda-emulated-direct' } as const;
const made = new Map<string, { backend: CudaBackend; driver: EmulatedCudaDriver }>();
for (const [kind, name] of Object.entries(NAMES)) {
  registerBackend({
    name,
    unavailableReason: async () => unavailable,
    create: async () => {
      const m = createEmulatedCudaBackend({ graphs: kind === 'graphs' });
      made.set(name, m);
      return m.backend;
    },
  });
}
const bits = (a: Float32Array | Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

describe.skipIf(unavailable !== null)(`cuda graphs [emulated]${unavailable === null ? '' : ` skipped: ${unavailable}`}`, () => {
  const engines = new Map<string, InferenceEngine>();
  beforeAll(async () => {
    for (const name of Object.values(NAMES)) engines.set(name, await InferenceEngine.load(MODEL_DIR, { backend: name }));
  });
  afterAll(() => {
    for (const e of engines.values()) e.close();
  });

  it('replayed steps give the same logits and greedy ids, bit for bit, across a change of attention plan', async () => {
    expect(engines.get(NAMES.graphs)!.backendInfo.features).toContain('CUDA graphs');
    expect(engines.get(NAMES.direct)!.backendInfo.features).toContain('no CUDA graphs (BITNET_CUDA_GRAPHS=off)');
    // 120 prompt tokens, then 16 decode steps that read the logits and 8 greedy steps (forwardArgmax): the context
    // passes 128 positions, where a decode step's attention goes from one span of keys to two.
    const prompt = Int32Array.from({ length: 120 }, (_, i) => (i * 37 + 5) % 4096);
    const seen = new Map<string, { logits: string[]; ids: number[] }>();
    for (const name of Object.values(NAMES)) {
      const model = engines.get(name)!.model;
      const cache = model.createCache(256);
      const logits: string[] = [];
      const ids: number[] = [];
      let out = await model.forward(prompt, cache);
      for (let i = 0; i < 16; i++) {
        logits.push(bits(out.data));
        ids.push(argmax(out.data));
        out = await model.forward(Int32Array.of(ids[ids.length - 1]), cache);
      }
      for (let i = 0; i < 8; i++) ids.push(await model.forwardArgmax!(Int32Array.of(ids[ids.length - 1]), cache));
      cache.release();
      seen.set(name, { logits, ids });
    }
    const [g, d] = [seen.get(NAMES.graphs)!, seen.get(NAMES.direct)!];
    expect(g.ids).toEqual(d.ids);
    g.logits.forEach((l, i) => expect(l === d.logits[i], `logits after step ${i}`).toBe(true));

    const graphs = made.get(NAMES.graphs)!;
    const counts = graphs.backend.stepCounts;
    // Counted in pieces of steps (step-launches.ts): captured at least in a decode step below 128 positions, one
    // above, and a greedy step; most replayed.
    expect(counts.captured).toBeGreaterThanOrEqual(3);
    expect(counts.replayed).toBeGreaterThanOrEqual(16);
    expect(graphs.driver.graphCounts.launched).toBe(counts.captured + counts.replayed);
    // The same kernels ran, as many times, whichever way they were issued.
    const byName = (d: EmulatedCudaDriver) => Object.fromEntries([...d.launches].sort());
    expect(byName(graphs.driver)).toEqual(byName(made.get(NAMES.direct)!.driver));
  });

  it('another cache is not served by the graph of the first, and no graph outlives the memory it points at', async () => {
    // Two live caches, decoded in turns: their steps differ only in the cache's addresses.
    const turns = new Map<string, number[]>();
    for (const name of Object.values(NAMES)) {
      const model = engines.get(name)!.model;
      const caches = [model.createCache(64), model.createCache(64)];
      const last = [await model.forwardArgmax!(Int32Array.of(0, 412, 73), caches[0]), await model.forwardArgmax!(Int32Array.of(0, 9, 2048), caches[1])];
      const ids: number[] = [];
      for (let i = 0; i < 12; i++) {
        const c = i % 2;
        last[c] = await model.forwardArgmax!(Int32Array.of(last[c]), caches[c]);
        ids.push(last[c]);
      }
      for (const c of caches) c.release();
      turns.set(name, ids);
    }
    expect(turns.get(NAMES.graphs)).toEqual(turns.get(NAMES.direct));
    // Caches made and released by the engine, one generation after another: graphs serve each generation, and go
    // with the cache they point into.
    const { backend, driver } = made.get(NAMES.graphs)!;
    const options = { greedy: true, maxTokens: 8, ignoreEos: true };
    for (const prompt of [[0, 412, 73, 1290], [0, 55, 3001, 7, 7, 260]]) {
      const replayed = backend.stepCounts.replayed;
      const [a, b] = [await engines.get(NAMES.graphs)!.generate({ tokenIds: prompt }, options), await engines.get(NAMES.direct)!.generate({ tokenIds: prompt }, options)];
      expect(a.tokenIds).toEqual(b.tokenIds);
      expect(backend.stepCounts.replayed).toBeGreaterThan(replayed);
      expect(driver.graphCounts.alive).toBe(0);
    }
    // And with the backend, while a cache is still held.
    const model = engines.get(NAMES.graphs)!.model;
    const cache = model.createCache(16);
    for (let i = 0; i < 4; i++) await model.forwardArgmax!(Int32Array.of(7), cache);
    expect(driver.graphCounts.alive).toBeGreaterThan(0);
    engines.get(NAMES.graphs)!.close();
    engines.delete(NAMES.graphs);
    expect(driver.graphCounts.alive).toBe(0);
  });
});
