/**
 * The generation loop on a scripted model and a byte tokenizer: stop conditions, UTF-8 safety of streamed
 * chunks, cancellation, and the context bound — behaviour the real model cannot be steered into on demand.
 */
import { describe, expect, it } from 'vitest';
import { generate, PREFILL_CHUNK } from '../../src/engine/generation.js';
import { resolveOptions, type GenerateOptions } from '../../src/engine/options.js';
import { GenerationStream } from '../../src/engine/stream.js';
import { AbortError, ContextLengthError } from '../../src/errors.js';
import type { KvCache, Logits } from '../../src/model/model.js';
import { ByteTokenizer, fakeConfig, type FakeCache, ScriptedModel } from '../helpers/fakes.js';

const e = new TextEncoder();
// ids: 0 BOS, 1 EOS, 2 'a', 3 ' ', 4 'é' first byte, 5 'é' second byte, 6/7 the two halves of '🙂' (F0 9F | 99 82)
const BYTES = [new Uint8Array(0), new Uint8Array(0), e.encode('a'), e.encode(' '), Uint8Array.of(0xc3), Uint8Array.of(0xa9), Uint8Array.of(0xf0, 0x9f), Uint8Array.of(0x99, 0x82)];
const tokenizer = new ByteTokenizer(BYTES);
const EOS = new Set([1]);

function run(model: ScriptedModel, prompt: number[], options: GenerateOptions): GenerationStream {
  const o = resolveOptions({ greedy: true, seed: 1, ...options });
  return new GenerationStream(generate(model, tokenizer, prompt, EOS, o), { promptTokenIds: prompt, seed: 1, backend: 'fake', backendInfo: model.backendInfo });
}

async function collect(s: GenerationStream): Promise<{ texts: string[]; ids: number[] }> {
  const texts: string[] = [];
  const ids: number[] = [];
  for await (const c of s) {
    texts.push(c.text);
    ids.push(...c.tokenIds);
  }
  return { texts, ids };
}

describe('generation loop', () => {
  it('stops at an EOS token, keeps its id and leaves its text out', async () => {
    const model = new ScriptedModel(fakeConfig(), (pos) => (pos < 5 ? 2 : 1));
    const s = run(model, [0, 2], {});
    const { texts, ids } = await collect(s);
    const r = await s.result;
    expect(r.finishReason).toBe('eos');
    expect(r.tokenIds).toEqual([2, 2, 2, 1]);
    expect(ids).toEqual(r.tokenIds);
    expect(texts.join('')).toBe('aaa');
    expect(r.text).toBe('aaa');
  });

  it('goes past EOS with ignoreEos', async () => {
    const model = new ScriptedModel(fakeConfig(), (pos) => (pos % 2 === 1 ? 1 : 2));
    const r = await run(model, [0], { ignoreEos: true, maxTokens: 4 }).result;
    expect(r.tokenIds).toEqual([1, 2, 1, 2]);
    expect(r.finishReason).toBe('length');
  });

  it('never emits half a UTF-8 character, and loses no text', async () => {
    const script = [4, 5, 2, 6, 7, 6, 7, 4];
    const model = new ScriptedModel(fakeConfig(), (pos) => script[pos - 2] ?? 1);
    const s = run(model, [0, 2], { maxTokens: 20 });
    const { texts } = await collect(s);
    // The trailing lone 0xC3 can never complete: at EOS it is flushed as the decoder renders it (U+FFFD), last.
    expect(texts.at(-1)).toBe('\uFFFD');
    for (const t of texts.slice(0, -1)) expect(t).not.toContain('\uFFFD');
    expect(texts.join('')).toBe('éa🙂🙂\uFFFD');
    expect((await s.result).text).toBe('éa🙂🙂\uFFFD');
  });

  it('stops at maxTokens', async () => {
    const model = new ScriptedModel(fakeConfig(), () => 2);
    const r = await run(model, [0], { maxTokens: 3 }).result;
    expect(r.tokenIds).toEqual([2, 2, 2]);
    expect(r.finishReason).toBe('length');
    // The last sampled token is not fed back: one prefill plus two decode steps.
    expect(model.forwardCalls).toBe(3);
  });

  it('prefills a prompt in pieces of PREFILL_CHUNK tokens, or of the size the backend asks for', async () => {
    const prompt = Array<number>(600).fill(2);
    const plain = new ScriptedModel(fakeConfig({ contextLength: 1024 }), () => 2);
    await run(plain, prompt, { maxTokens: 2 }).result;
    expect(plain.forwardSizes).toEqual([PREFILL_CHUNK, PREFILL_CHUNK, 600 - 2 * PREFILL_CHUNK, 1]);
    class LongCallModel extends ScriptedModel {
      override readonly backendInfo = { ...new ScriptedModel(fakeConfig(), () => 2).backendInfo, prefillChunk: 250 };
    }
    const asking = new LongCallModel(fakeConfig({ contextLength: 1024 }), () => 2);
    await run(asking, prompt, { maxTokens: 2 }).result;
    expect(asking.forwardSizes).toEqual([250, 250, 100, 1]);
  });

  it('stops when prompt plus generated tokens fill the context, without overrunning the cache', async () => {
    const model = new ScriptedModel(fakeConfig({ contextLength: 12 }), () => 2);
    const r = await run(model, [0, 2, 2, 2, 2], { maxTokens: 100 }).result;
    expect(r.finishReason).toBe('length');
    expect(r.promptTokenIds.length + r.tokenIds.length).toBe(12);
  });

  it('rejects a prompt longer than the context before any work', async () => {
    const model = new ScriptedModel(fakeConfig({ contextLength: 4 }), () => 2);
    const s = run(model, [0, 2, 2, 2, 2], {});
    await expect(s.result).rejects.toBeInstanceOf(ContextLengthError);
    await expect(collect(s)).rejects.toThrow(/5 tokens but the context holds 4/);
    expect(model.forwardCalls).toBe(0);
  });

  it('ends before a stop string, which is not emitted even across token boundaries', async () => {
    // "a a a ..." with stop " a" → only the first "a".
    const model = new ScriptedModel(fakeConfig(), (pos) => (pos % 2 === 1 ? 2 : 3));
    const s = run(model, [0], { stop: [' a'], maxTokens: 20 });
    const { texts } = await collect(s);
    const r = await s.result;
    expect(r.finishReason).toBe('stop');
    expect(texts.join('')).toBe('a');
    expect(r.text).toBe('a');
    expect(r.tokenIds).toEqual([2, 3, 2]);
  });

  it('releases held-back text that turned out not to be a stop string', async () => {
    const model = new ScriptedModel(fakeConfig(), (pos) => (pos % 2 === 1 ? 2 : 3));
    const r = await run(model, [0], { stop: [' b'], maxTokens: 4 }).result;
    expect(r.text).toBe('a a ');
  });

  it('throws AbortError from iteration when the signal fires, and reports the partial result', async () => {
    const model = new ScriptedModel(fakeConfig(), () => 2);
    const controller = new AbortController();
    const s = run(model, [0], { maxTokens: 50, signal: controller.signal });
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const c of s) {
          seen.push(c.text);
          if (seen.length === 3) controller.abort();
        }
      })(),
    ).rejects.toBeInstanceOf(AbortError);
    const r = await s.result;
    expect(r.finishReason).toBe('abort');
    expect(r.text.startsWith(seen.join(''))).toBe(true);
    expect(r.tokenIds.length).toBeLessThan(50);
  });

  it('cancels the generation when the consumer leaves the loop early', async () => {
    const model = new ScriptedModel(fakeConfig(), () => 2);
    const s = run(model, [0], { maxTokens: 60 });
    for await (const _ of s) break;
    const r = await s.result;
    expect(r.finishReason).toBe('abort');
    expect(model.forwardCalls).toBeLessThan(60);
  });

  it('releases its KV cache exactly once however it ends: EOS, length, abort, early exit', async () => {
    const endings: [string, ScriptedModel, (m: ScriptedModel) => Promise<unknown>][] = [
      ['eos', new ScriptedModel(fakeConfig(), (pos) => (pos < 3 ? 2 : 1)), (m) => run(m, [0], {}).result],
      ['length', new ScriptedModel(fakeConfig(), () => 2), (m) => run(m, [0], { maxTokens: 4 }).result],
      ['abort', new ScriptedModel(fakeConfig(), () => 2), (m) => run(m, [0], { maxTokens: 50, signal: AbortSignal.abort() }).result],
      ['early exit', new ScriptedModel(fakeConfig(), () => 2), async (m) => {
        const s = run(m, [0], { maxTokens: 60 });
        for await (const _ of s) break;
        return s.result;
      }],
    ];
    for (const [name, model, go] of endings) {
      await go(model);
      expect(model.caches.map((c) => c.releases), name).toEqual(model.caches.map(() => 1));
    }
  });

  it('without stop strings, feeds a token back while its text is decoded; with them, only once the text is checked', async () => {
    const events: string[] = [];
    class LoggingModel extends ScriptedModel {
      override async forward(tokenIds: Int32Array, cache: KvCache, options?: { logits?: 'last' | 'all' }): Promise<Logits> {
        events.push('forward');
        return super.forward(tokenIds, cache, options);
      }
    }
    class LoggingTokenizer extends ByteTokenizer {
      override async decode(ids: readonly number[]): Promise<string> {
        events.push('decode');
        return super.decode(ids);
      }
    }
    const logging = new LoggingTokenizer(BYTES);
    const go = (options: GenerateOptions) => new GenerationStream(generate(new LoggingModel(fakeConfig(), () => 2), logging, [0], EOS, resolveOptions({ greedy: true, seed: 1, ...options })), { promptTokenIds: [0], seed: 1, backend: 'fake', backendInfo: new ScriptedModel(fakeConfig(), () => 2).backendInfo }).result;
    await go({ maxTokens: 3 });
    // The prefill, then per fed-back token its forward pass before the decodes of its text.
    expect(events.join(' ')).toBe('forward forward decode decode forward decode decode decode decode');
    events.length = 0;
    await go({ maxTokens: 3, stop: ['zz'] });
    expect(events.join(' ')).toBe('forward decode decode forward decode decode forward decode decode');
  });

  it('never releases the cache under a forward pass still running, however the consumer leaves', async () => {
    class SlowModel extends ScriptedModel {
      override async forward(tokenIds: Int32Array, cache: KvCache, options?: { logits?: 'last' | 'all' }): Promise<Logits> {
        const c = cache as FakeCache;
        c.running++;
        await new Promise((resolve) => setTimeout(resolve, 2));
        c.running--;
        return super.forward(tokenIds, cache, options);
      }
    }
    const model = new SlowModel(fakeConfig(), () => 2);
    const s = run(model, [0], { maxTokens: 60 });
    for await (const _ of s) break; // leaves while the next token's forward pass runs
    expect((await s.result).finishReason).toBe('abort');
    expect(model.caches.map((c) => c.releases)).toEqual([1]);
  });

  it('reports usage figures', async () => {
    const model = new ScriptedModel(fakeConfig(), () => 2);
    const r = await run(model, [0, 2, 2], { maxTokens: 5 }).result;
    expect(r.usage.promptTokens).toBe(3);
    expect(r.usage.generatedTokens).toBe(5);
    expect(r.usage.prefillTokensPerSecond).toBeGreaterThan(0);
    expect(r.usage.decodeTokensPerSecond).toBeGreaterThan(0);
    expect(r.seed).toBe(1);
    expect(r.backend).toBe('fake');
  });
});
