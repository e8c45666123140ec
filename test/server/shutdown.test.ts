/**
 * Closing the server (what `bitnet serve` does on SIGTERM / SIGINT) stops running and queued generations instead of
 * waiting for them: a stream that would run for a thousand tokens ends early with an error event saying the
 * server is shutting down, a queued request gets 503 in OpenAI's shape, and the server stops accepting connections.
 * The engine is the shipped model with end-of-sequence ignored, so that nothing ends the stream but the close.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceEngine } from '../../src/engine/engine.js';
import { createServer } from '../../src/server/app.js';
import { MODEL_DIR } from '../helpers/golden.js';

let engine: InferenceEngine;
beforeAll(async () => {
  engine = await InferenceEngine.load(MODEL_DIR, { backend: 'wasm', threads: 1 });
});
afterAll(() => engine?.close());

/** The engine, with every generation told to ignore end-of-sequence. */
function endless(e: InferenceEngine): InferenceEngine {
  return new Proxy(e, {
    get(target, key) {
      if (key === 'stream' || key === 'streamChat') {
        return (input: never, options: object = {}) => (target[key] as (i: never, o: object) => unknown)(input, { ...options, ignoreEos: true });
      }
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

const post = (base: string, body: object): Promise<Response> =>
  fetch(`${base}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('bitnet serve shutdown', () => {
  it('close() stops a running stream and a queued request instead of waiting for them', async () => {
    const app = createServer(endless(engine), { modelName: 'tiny-bitnet', concurrency: 1, maxQueue: 4 });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const maxTokens = 1000;
    const res = await post(base, { prompt: 'Call me', max_tokens: maxTokens, stream: true, seed: 1 });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = decoder.decode((await reader.read()).value); // the generation is running

    const queued = post(base, { prompt: 'Call me', max_tokens: 4 });
    for (let i = 0; i < 200; i++) {
      const health = (await (await fetch(`${base}/health`)).json()) as { waiting: number };
      if (health.waiting === 1) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const closed = app.close();

    for (let r = await reader.read(); !r.done; r = await reader.read()) text += decoder.decode(r.value);
    await closed;
    const events = text.split('\n\n').filter((e) => e.startsWith('data: ')).map((e) => e.slice(6));
    const last = JSON.parse(events[events.length - 1]) as { error?: { message: string; type: string } };
    expect(last.error).toMatchObject({ message: 'the server is shutting down', type: 'server_error' });
    expect(events).not.toContain('[DONE]');
    expect(events.length).toBeLessThan(maxTokens); // stopped, not run to its end

    const q = await queued;
    expect(q.status).toBe(503);
    expect(((await q.json()) as { error: { message: string } }).error.message).toBe('the server is shutting down');
    await expect(post(base, { prompt: 'Call me', max_tokens: 1 })).rejects.toThrow(); // no longer listening
  });
});
