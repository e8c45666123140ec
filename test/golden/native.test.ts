/**
 * The shipped model's golden tests on the float32 `native` backend (checks and tolerances: helpers/float32-golden.ts),
 * once with the AVX2 kernels (where the CPU has them) and once forced onto the portable scalar kernels.
 * Skipped, with the reason, where the addon is not built.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeBackend } from '../../src/backends/native/index.js';
import { loadNativeAddon } from '../../src/backends/native/addon.js';
import { InferenceEngine } from '../../src/engine/engine.js';
import { float32GoldenTests } from '../helpers/float32-golden.js';
import { MODEL_DIR } from '../helpers/golden.js';

const unavailable = await nativeBackend.unavailableReason();

describe.skipIf(unavailable !== null)(`tiny-bitnet oracle [native, float32]${unavailable === null ? '' : ` skipped: ${unavailable}`}`, () => {
  let engine: InferenceEngine;
  beforeAll(async () => {
    engine = await InferenceEngine.load(MODEL_DIR, { backend: 'native' });
  });
  afterAll(() => engine.close());

  it('runs on the native backend', () => {
    expect(engine.backendInfo).toMatchObject({ name: 'native', precision: 'float32' });
  });
  float32GoldenTests(() => engine);
});

describe.skipIf(unavailable !== null)(`tiny-bitnet oracle [native, scalar kernels]${unavailable === null ? '' : ` skipped: ${unavailable}`}`, () => {
  let engine: InferenceEngine;
  let wasForced = false;
  beforeAll(async () => {
    wasForced = (await loadNativeAddon()).setForceScalar(true);
    engine = await InferenceEngine.load(MODEL_DIR, { backend: 'native', threads: 2 });
  });
  afterAll(async () => {
    engine.close();
    (await loadNativeAddon()).setForceScalar(wasForced);
  });

  it('reports the scalar kernels', () => {
    expect(engine.backendInfo.features).toContain('scalar');
  });
  float32GoldenTests(() => engine);
});
