/** The shipped model's golden tests on the float32 `wasm` backend (checks and tolerances: helpers/float32-golden.ts). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceEngine } from '../../src/engine/engine.js';
import { float32GoldenTests } from '../helpers/float32-golden.js';
import { MODEL_DIR } from '../helpers/golden.js';

let engine: InferenceEngine;
beforeAll(async () => {
  engine = await InferenceEngine.load(MODEL_DIR, { backend: 'wasm' });
});
afterAll(() => engine.close());

describe('tiny-bitnet oracle [wasm, float32]', () => {
  it('runs on the wasm backend with SIMD', () => {
    expect(engine.backendInfo).toMatchObject({ name: 'wasm', precision: 'float32' });
    expect(engine.backendInfo.features).toContain('simd128');
  });
  float32GoldenTests(() => engine);
});
