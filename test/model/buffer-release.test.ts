/**
 * The model keeps buffers for decode (T = 1) and for the latest prompt length only; buffers for an earlier length
 * go back to the backend (Backend.release). Without that, a server seeing prompts of many lengths grows without
 * bound on the wasm backend (found by `npm run soak`: 115 → 411 MiB in three minutes).
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backends/backend.js';
import type { ActivationBuffer, QuantizedBuffer } from '../../src/backends/ops.js';
import { createBackend, registerBackend } from '../../src/backends/registry.js';
import { WasmBackend } from '../../src/backends/wasm/index.js';
import { InferenceEngine } from '../../src/engine/engine.js';
import { MODEL_DIR } from '../helpers/golden.js';

/** A reference backend that counts buffers handed out and given back. */
const counts = { allocated: 0, released: 0 };
registerBackend({
  name: 'test-counting',
  unavailableReason: async () => null,
  async create(options) {
    const inner = await createBackend('reference', options);
    return new Proxy(inner, {
      get(target, key, receiver) {
        if (key === 'allocate' || key === 'allocateQuantized') {
          return (...args: unknown[]) => {
            counts.allocated++;
            return (target[key] as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        if (key === 'release') return (_b: ActivationBuffer | QuantizedBuffer) => void counts.released++;
        return Reflect.get(target, key, receiver);
      },
    }) as Backend;
  },
});

let wasm: WasmBackend | undefined;
registerBackend({
  name: 'test-wasm-captured',
  unavailableReason: async () => null,
  create: async (options) => (wasm = await WasmBackend.create(options)),
});

const prompt = (n: number) => Array.from({ length: n }, (_, i) => (i * 31 + 7) % 4096);

describe('buffers for an earlier prompt length are released', () => {
  it('live buffers stay bounded while prompt lengths alternate', async () => {
    const engine = await InferenceEngine.load(MODEL_DIR, { backend: 'test-counting' });
    await engine.logits({ tokenIds: prompt(5) });
    await engine.logits({ tokenIds: prompt(1) });
    const live = counts.allocated - counts.released; // a prefill state and the decode state
    for (let i = 0; i < 12; i++) await engine.logits({ tokenIds: prompt(i % 2 === 0 ? 9 : 5) });
    expect(counts.released).toBeGreaterThan(0);
    expect(counts.allocated - counts.released).toBe(live);
    engine.close();
  });

  it('the wasm heap does not grow while prompt lengths alternate', async () => {
    const engine = await InferenceEngine.load(MODEL_DIR, { backend: 'test-wasm-captured', threads: 1 });
    const heap = () => (wasm as unknown as { heap: { used: number } }).heap.used;
    for (const n of [9, 5]) await engine.logits({ tokenIds: prompt(n) });
    const used = heap();
    for (let i = 0; i < 20; i++) await engine.logits({ tokenIds: prompt(i % 2 === 0 ? 9 : 5) });
    expect(heap()).toBe(used);
    engine.close();
  });
});
