/**
 * InferenceEngine on the shipped model: streaming, seeds, stop strings, cancellation, concurrency and errors.
 * Expected token ids come from the float64 oracle (golden/tiny-bitnet), never from this engine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceEngine } from '../../src/engine/engine.js';
import { AbortError, BackendUnavailableError, ContextLengthError, InvalidOptionError } from '../../src/errors.js';
import { golden, MODEL_DIR } from '../helpers/golden.js';

let engine: InferenceEngine;
beforeAll(async () => {
  engine = await InferenceEngine.load(undefined, { backend: 'reference' });
});
afterAll(() => engine.close());

const p0 = golden.prompts[0];
const p2 = golden.prompts[2];

describe('InferenceEngine [reference]', () => {
  it('loads the shipped default model when no path is given', () => {
    expect(engine.source).toBe(MODEL_DIR.replace(/\/$/, ''));
    expect(engine.config.vocabSize).toBe(4096);
    expect(engine.backendInfo).toMatchObject({ name: 'reference', precision: 'float64' });
  });

  it('streams chunks whose text and ids add up to the result (greedy = oracle ids)', async () => {
    const s = engine.stream(p0.text, { greedy: true, maxTokens: 20 });
    let text = '';
    const ids: number[] = [];
    for await (const c of s) {
      text += c.text;
      ids.push(...c.tokenIds);
    }
    const r = await s.result;
    expect(r.promptTokenIds).toEqual(p0.input_ids);
    expect(r.tokenIds).toEqual(p0.greedy_ids.slice(0, 20));
    expect(ids).toEqual(r.tokenIds);
    expect(text).toBe(r.text);
    expect(r.usage.promptTokens).toBe(p0.input_ids.length);
    expect(r.usage.generatedTokens).toBe(20);
    expect(r.usage.decodeTokensPerSecond).toBeGreaterThan(0);
  });

  it('reproduces a sampled run from its seed', async () => {
    const a = await engine.generate(p2.text, { seed: 1234, maxTokens: 24, temperature: 0.9 });
    const b = await engine.generate(p2.text, { seed: a.seed, maxTokens: 24, temperature: 0.9 });
    const c = await engine.generate(p2.text, { seed: 4321, maxTokens: 24, temperature: 0.9 });
    expect(b.tokenIds).toEqual(a.tokenIds);
    expect(c.tokenIds).not.toEqual(a.tokenIds);
  });

  it('ends before a stop string taken from the oracle continuation', async () => {
    const full = await engine.detokenize(p0.greedy_ids);
    const stop = ' of the Union';
    const cut = full.indexOf(stop);
    expect(cut).toBeGreaterThan(0);
    const r = await engine.generate(p0.text, { greedy: true, maxTokens: 48, stop });
    expect(r.finishReason).toBe('stop');
    expect(r.text).toBe(full.slice(0, cut));
  });

  it('stays usable after an aborted stream', async () => {
    const controller = new AbortController();
    const s = engine.stream(p0.text, { greedy: true, maxTokens: 40, signal: controller.signal });
    await expect(
      (async () => {
        for await (const _ of s) controller.abort();
      })(),
    ).rejects.toBeInstanceOf(AbortError);
    expect((await s.result).finishReason).toBe('abort');
    const r = await engine.generate(p0.text, { greedy: true, maxTokens: 10 });
    expect(r.tokenIds).toEqual(p0.greedy_ids.slice(0, 10));
  });

  it('rejects generate() with AbortError when the signal is already aborted', async () => {
    await expect(engine.generate(p0.text, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
  });

  it('serves concurrent generations as if they ran alone', async () => {
    const [a, b] = await Promise.all([
      engine.generate(p0.text, { greedy: true, maxTokens: 12 }),
      engine.generate(p2.text, { greedy: true, maxTokens: 12 }),
    ]);
    expect(a.tokenIds).toEqual(p0.greedy_ids.slice(0, 12));
    expect(b.tokenIds).toEqual(p2.greedy_ids.slice(0, 12));
  });

  it('refuses a prompt longer than the context instead of truncating it', async () => {
    const ids = new Array(engine.config.contextLength + 1).fill(262);
    await expect(engine.generate({ tokenIds: ids })).rejects.toBeInstanceOf(ContextLengthError);
    await expect(engine.logits({ tokenIds: ids })).rejects.toThrow(/1025 tokens but the context holds 1024/);
  });

  it('validates options before doing any work', () => {
    expect(() => engine.stream('x', { topP: 0 })).toThrow(InvalidOptionError);
    expect(() => engine.stream('x', { temperature: -1 })).toThrow(/temperature/);
    expect(() => engine.stream('x', { maxTokens: 0 })).toThrow(/maxTokens/);
    expect(() => engine.stream('x', { stop: [''] })).toThrow(/stop/);
  });

  it('refuses an unknown backend by name', async () => {
    await expect(InferenceEngine.load(undefined, { backend: 'nope' })).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(InferenceEngine.load(undefined, { backend: 'nope' })).rejects.toThrow(/known: cuda, webgpu, native, wasm, reference/);
  });
});
