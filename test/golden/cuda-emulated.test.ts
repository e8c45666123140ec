/**
 * The shipped model's golden tests on the cuda backend with its kernels run by the CPU stand-in for the GPU
 * (helpers/cuda-emulator): the backend's TypeScript, its launches and its kernel source, end to end, where no GPU
 * exists. The emulator runs a thread per fiber, so the held-out perplexity is checked over its first two windows
 * (the float32 golden bounds for a partial text). The real device runs the full set in bench/device/gpu-check.mjs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerBackend } from '../../src/backends/registry.js';
import { InferenceEngine } from '../../src/engine/engine.js';
import { createEmulatedCudaBackend, EMULATED_CUDA, emulatedCudaUnavailable } from '../helpers/cuda-emulator/backend.js';
import { float32GoldenTests } from '../helpers/float32-golden.js';
import { MODEL_DIR } from '../helpers/golden.js';

const unavailable = emulatedCudaUnavailable();
if (unavailable !== null) console.warn(`skipped: ${unavailable} (emulated cuda golden tests)`);
registerBackend({ name: EMULATED_CUDA, unavailableReason: async () => unavailable, create: async () => createEmulatedCudaBackend().backend });

describe.skipIf(unavailable !== null)(`tiny-bitnet oracle [cuda kernels on the CPU emulator, float32]${unavailable === null ? '' : ` skipped: ${unavailable}`}`, () => {
  let engine: InferenceEngine;
  beforeAll(async () => {
    engine = await InferenceEngine.load(MODEL_DIR, { backend: EMULATED_CUDA });
  });
  afterAll(() => engine?.close());

  it('runs on the cuda backend over the emulator', () => {
    expect(engine.backendInfo).toMatchObject({ name: 'cuda', precision: 'float32' });
    expect(engine.backendInfo.features).toContain('device: CUDA emulator (CPU)');
  });
  float32GoldenTests(() => engine, { perplexityWindows: 2 });
});
