/**
 * The shipped model's golden tests on the float32 `webgpu` backend (checks and tolerances:
 * helpers/float32-golden.ts). In CI the adapter is SwiftShader (vitest.config.ts points Vulkan at Chromium's
 * copy), where the held-out perplexity is checked over its first two windows; with no adapter at all the suite is
 * skipped and says why.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webgpuBackend } from '../../src/backends/webgpu/index.js';
import { InferenceEngine } from '../../src/engine/engine.js';
import { float32GoldenTests } from '../helpers/float32-golden.js';
import { MODEL_DIR } from '../helpers/golden.js';

const unavailable = await webgpuBackend.unavailableReason();
if (unavailable !== null) console.warn(`skipped: ${unavailable} (webgpu golden tests)`);
/** A CPU-emulated adapter runs the 21-window held-out text in minutes: there, two windows (the same checks per window). */
const software = unavailable === null && (await webgpuBackend.autoSkipReason?.()) !== null;

describe.skipIf(unavailable !== null)(`tiny-bitnet oracle [webgpu, float32]${unavailable === null ? '' : ` skipped: ${unavailable}`}`, () => {
  let engine: InferenceEngine;
  beforeAll(async () => {
    engine = await InferenceEngine.load(MODEL_DIR, { backend: 'webgpu' });
  });
  afterAll(() => engine?.close());

  it('runs on the webgpu backend', () => {
    expect(engine.backendInfo).toMatchObject({ name: 'webgpu', precision: 'float32' });
    expect(engine.backendInfo.features.some((f) => f.startsWith('adapter: '))).toBe(true);
  });
  float32GoldenTests(() => engine, software ? { perplexityWindows: 2 } : {});
});
