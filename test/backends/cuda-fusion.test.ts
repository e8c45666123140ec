/**
 * The cuda backend's fused launches (src/backends/cuda/pending.ts) on the shipped model, with the kernels run by
 * the CPU emulator: fusing must change no bit of the logits or the greedy ids against the same backend launching
 * every op on its own (BITNET_CUDA_FUSION=off), and it must actually fuse — a one-token forward issues at most 10
 * launches a layer, against 22 unfused (norm with its quantisation, the q/k/v and gate/up products, the residual
 * add with the next norm and quantisation, relu²·up with its norm and quantisation, the rotations of q and k with
 * the cache append each become one launch); at prefill sizes the grouped products are one tensor-core GEMM launch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerBackend } from '../../src/backends/registry.js';
import { InferenceEngine } from '../../src/engine/engine.js';
import { createEmulatedCudaBackend, emulatedCudaUnavailable } from '../helpers/cuda-emulator/backend.js';
import type { EmulatedCudaDriver } from '../helpers/cuda-emulator/driver.js';
import { MODEL_DIR } from '../helpers/golden.js';

const unavailable = emulatedCudaUnavailable();
const drivers = new Map<string, EmulatedCudaDriver>();
const NAMES = { fused: 'cuda-emulated-fused', unfused: 'cuda-emulated-unfused' } as const;
for (const [kind, name] of Object.entries(NAMES)) {
  registerBackend({
    name,
    unavailableReason: async () => unavailable,
    create: async () => {
      const { backend, driver } = createEmulatedCudaBackend({ fusion: kind === 'fused' });
      drivers.set(name, driver);
      return backend;
    },
  });
}
const total = (d: EmulatedCudaDriver) => [...d.launches.values()].reduce((a, b) => a + b, 0);

describe.skipIf(unavailable !== null)(`cuda fused launches [emulated]${unavailable === null ? '' : ` skipped: ${unavailable}`}`, () => {
  const engines = new Map<string, InferenceEngine>();
  beforeAll(async () => {
    for (const name of Object.values(NAMES)) engines.set(name, await InferenceEngine.load(MODEL_DIR, { backend: name }));
  });
  afterAll(() => {
    for (const e of engines.values()) e.close();
  });

  it('change no bit of the logits or greedy ids, and say which mode runs', async () => {
    const prompt = [0, 412, 73, 1290, 88, 15, 902];
    const [fused, unfused] = [engines.get(NAMES.fused)!, engines.get(NAMES.unfused)!];
    expect(fused.backendInfo.features).toContain('fused launches');
    expect(unfused.backendInfo.features).toContain('unfused launches');
    const [a, b] = [await fused.logits({ tokenIds: prompt }), await unfused.logits({ tokenIds: prompt })];
    expect(a.data.length).toBe(prompt.length * 4096);
    expect(Buffer.from(a.data.buffer).equals(Buffer.from(b.data.buffer))).toBe(true);
    const options = { greedy: true, maxTokens: 6, ignoreEos: true };
    const [ga, gb] = [await fused.generate({ tokenIds: prompt }, options), await unfused.generate({ tokenIds: prompt }, options)];
    expect(ga.tokenIds).toEqual(gb.tokenIds);
  });

  it('a one-token forward takes at most 10 launches a layer fused, 22 unfused', async () => {
    const layers = 8;
    const perForward = new Map<string, number>();
    for (const name of Object.values(NAMES)) {
      const driver = drivers.get(name)!;
      const before = total(driver);
      await engines.get(name)!.logits({ tokenIds: [0] });
      perForward.set(name, total(driver) - before);
    }
    // Outside the layers: embed, the final norm, lm_head.
    expect(perForward.get(NAMES.fused)).toBeLessThanOrEqual(10 * layers + 3);
    expect(perForward.get(NAMES.unfused)).toBe(22 * layers + 3);
  });

  it('prefill: the q/k/v and gate/up products each share one tensor-core GEMM launch, bit for bit as one by one', async () => {
    const layers = 8;
    const prompt = Array.from({ length: 40 }, (_, i) => (i * 97 + 5) % 4096); // over the GEMM's 32 tokens
    const logits = new Map<string, Float32Array | Float64Array>();
    const gemms = new Map<string, number>();
    for (const name of Object.values(NAMES)) {
      const driver = drivers.get(name)!;
      const before = driver.launches.get('ternary_gemm') ?? 0;
      logits.set(name, (await engines.get(name)!.logits({ tokenIds: prompt })).data);
      gemms.set(name, (driver.launches.get('ternary_gemm') ?? 0) - before);
    }
    // A layer's products: q, k, v, o, gate, up, down — 7 launches alone, 4 grouped (q/k/v, o, gate/up, down).
    expect(gemms.get(NAMES.fused)).toBe(4 * layers);
    expect(gemms.get(NAMES.unfused)).toBe(7 * layers);
    const [a, b] = [logits.get(NAMES.fused)!, logits.get(NAMES.unfused)!];
    expect(a.length).toBe(prompt.length * 4096);
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
  });
});
