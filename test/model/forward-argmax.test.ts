/**
 * forwardArgmax: the greedy step plain greedy decoding takes instead of forward. Its token must be the argmax of the
 * logits forward computes for the same input (src/argmax.ts), whether the backend finds it (cuda, here with its
 * kernels on the CPU emulator: argmax_rows, one integer read) or the model reads the logits and finds it on the host
 * (the reference backend); and greedy generation must take that path on a backend that has it.
 */
import { describe, expect, it } from 'vitest';
import { argmax } from '../../src/argmax.js';
import { registerBackend } from '../../src/backends/registry.js';
import { InferenceEngine } from '../../src/engine/engine.js';
import { createEmulatedCudaBackend, emulatedCudaUnavailable } from '../helpers/cuda-emulator/backend.js';
import type { EmulatedCudaDriver } from '../helpers/cuda-emulator/driver.js';
import { MODEL_DIR } from '../helpers/golden.js';

const prompts = [[0, 450, 3681, 338], [0, 12], [0, 1200, 77, 9, 4000, 31]];
const unavailable = emulatedCudaUnavailable();
let driver: EmulatedCudaDriver | undefined;
registerBackend({
  name: 'cuda-emulated',
  unavailableReason: async () => unavailable,
  create: async () => {
    const made = createEmulatedCudaBackend();
    driver = made.driver;
    return made.backend;
  },
});

async function expectArgmaxOfForward(engine: InferenceEngine): Promise<void> {
  const model = engine.model;
  for (const ids of prompts) {
    const [a, b] = [model.createCache(16), model.createCache(16)];
    const logits = await model.forward(Int32Array.from(ids), a);
    const token = await model.forwardArgmax!(Int32Array.from(ids), b);
    expect(token).toBe(argmax(logits.data));
    // And a decode step after it, from the caches both calls left.
    const next = await model.forward(Int32Array.of(token), a);
    expect(await model.forwardArgmax!(Int32Array.of(token), b)).toBe(argmax(next.data));
  }
}

describe('forwardArgmax [reference: the argmax of the logits read to the host]', () => {
  it('is the argmax of forward’s logits', async () => {
    const engine = await InferenceEngine.load(MODEL_DIR, { backend: 'reference' });
    try {
      await expectArgmaxOfForward(engine);
    } finally {
      engine.close();
    }
  });
});

describe.skipIf(unavailable !== null)(`forwardArgmax [cuda, emulated: argmax_rows on the device]${unavailable === null ? '' : ` skipped: ${unavailable}`}`, () => {
  it('is the argmax of forward’s logits, and greedy generation decodes through it', async () => {
    const engine = await InferenceEngine.load(MODEL_DIR, { backend: 'cuda-emulated' });
    try {
      await expectArgmaxOfForward(engine);
      const before = driver!.launches.get('argmax_rows') ?? 0;
      const r = await engine.generate({ tokenIds: prompts[0] }, { greedy: true, maxTokens: 5, ignoreEos: true });
      expect(r.tokenIds).toHaveLength(5);
      // The first token comes from the prefill's logits; each of the four decode steps is one argmax_rows launch.
      expect((driver!.launches.get('argmax_rows') ?? 0) - before).toBe(4);
    } finally {
      engine.close();
    }
  });
});
