/**
 * `bitnet serve`'s API driven by the official `openai` npm client (and plain fetch for malformed requests), on the
 * shipped model over loopback: answers equal the engine's own generations for the same messages and settings,
 * streams add up to them and end properly, 32 concurrent seeded streams each equal their lone run, a client that
 * goes away mid-stream leaves the server answering, and every error comes in OpenAI's shape.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceEngine } from '../../src/engine/engine.js';
import { createServer } from '../../src/server/app.js';
import { MODEL_DIR } from '../helpers/golden.js';

let engine: InferenceEngine;
let app: ReturnType<typeof createServer>;
let base: string;
let client: OpenAI;
const messages = [{ role: 'user' as const, content: 'Who is the captain of the ship?' }];

beforeAll(async () => {
  engine = await InferenceEngine.load(MODEL_DIR, { backend: 'wasm', threads: 1 });
  app = createServer(engine, { modelName: 'tiny-bitnet', concurrency: 2, maxQueue: 40, maxTokens: 64, bodyLimit: 32768 });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused', maxRetries: 0 });
});
afterAll(async () => {
  await app?.close();
  engine?.close();
});

describe('bitnet serve (OpenAI-compatible)', () => {
  it('chat completion equals the engine on the same messages (greedy)', async () => {
    const want = await engine.streamChat(messages, { temperature: 0, maxTokens: 16 }).result;
    const got = await client.chat.completions.create({ model: 'tiny-bitnet', messages, temperature: 0, max_tokens: 16 });
    expect(got.object).toBe('chat.completion');
    expect(got.choices[0].message).toEqual({ role: 'assistant', content: want.text });
    expect(got.choices[0].finish_reason).toBe(want.finishReason === 'length' ? 'length' : 'stop');
    expect(got.usage).toEqual({ prompt_tokens: want.usage.promptTokens, completion_tokens: want.usage.generatedTokens, total_tokens: want.usage.promptTokens + want.usage.generatedTokens });
  });

  it('streams a chat completion whose deltas add up to the same text, then a finish reason', async () => {
    const want = await engine.streamChat(messages, { temperature: 0, maxTokens: 16 }).result;
    const stream = await client.chat.completions.create({ model: 'tiny-bitnet', messages, temperature: 0, max_tokens: 16, stream: true });
    let text = '';
    let finish: string | null = null;
    let chunks = 0;
    for await (const c of stream) {
      chunks++;
      text += c.choices[0].delta.content ?? '';
      finish = c.choices[0].finish_reason ?? finish;
    }
    expect(text).toBe(want.text);
    expect(chunks).toBeGreaterThan(2);
    expect(finish).toBe('length');
  });

  it('text completions, plain and streamed, equal the engine on the same prompt', async () => {
    const want = await engine.stream('Call me Ishmael.', { temperature: 0, maxTokens: 12 }).result;
    const plain = await client.completions.create({ model: 'tiny-bitnet', prompt: 'Call me Ishmael.', temperature: 0, max_tokens: 12 });
    expect(plain.choices[0].text).toBe(want.text);
    let text = '';
    for await (const c of await client.completions.create({ model: 'tiny-bitnet', prompt: 'Call me Ishmael.', temperature: 0, max_tokens: 12, stream: true })) text += c.choices[0].text;
    expect(text).toBe(want.text);
  });

  it('32 concurrent seeded streams each equal the same request run alone', async () => {
    const ask = async (seed: number) => {
      let text = '';
      const s = await client.chat.completions.create({ model: 'tiny-bitnet', messages, temperature: 1, max_tokens: 8, seed, stream: true });
      for await (const c of s) text += c.choices[0].delta.content ?? '';
      return text;
    };
    const alone = [];
    for (let seed = 0; seed < 32; seed++) alone.push(await ask(seed));
    const together = await Promise.all(Array.from({ length: 32 }, (_, seed) => ask(seed)));
    expect(together).toEqual(alone);
    expect(new Set(alone).size).toBeGreaterThan(1); // the seeds really differ
  });

  it('lists the model and reports health', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['tiny-bitnet']);
    const health = await (await fetch(`${base}/health`)).json();
    expect(health).toMatchObject({ status: 'ok', model: 'tiny-bitnet', backend: 'wasm', active: 0, waiting: 0 });
  });

  it('a client that disconnects mid-stream cancels its generation; the server keeps answering', async () => {
    const controller = new AbortController();
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages, max_tokens: 64, temperature: 0, stream: true }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await new Promise((r) => setTimeout(r, 200));
    const health = await (await fetch(`${base}/health`)).json();
    expect(health).toMatchObject({ active: 0, waiting: 0 });
    const again = await client.chat.completions.create({ model: 'tiny-bitnet', messages, temperature: 0, max_tokens: 4 });
    expect(again.choices[0].message.content?.length).toBeGreaterThan(0);
  });

  it('answers bad requests with 4xx in OpenAI’s error shape', async () => {
    await expect(client.chat.completions.create({ model: 'tiny-bitnet', messages, max_tokens: 65 })).rejects.toMatchObject({ status: 400, error: { param: 'max_tokens', type: 'invalid_request_error' } });
    await expect(client.chat.completions.create({ model: 'tiny-bitnet', messages: [] })).rejects.toMatchObject({ status: 400, error: { param: 'messages' } });
    const post = (body: string) => fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    for (const [body, status] of [['{"messages": [', 400], ['{"__proto__": {"x": 1}, "messages": []}', 400], ['[1, 2]', 400], [JSON.stringify({ messages, pad: 'x'.repeat(40000) }), 413]] as const) {
      const res = await post(body);
      expect(res.status, body.slice(0, 30)).toBe(status);
      const json = (await res.json()) as { error: { message: string; type: string } };
      expect(typeof json.error.message).toBe('string');
      expect(typeof json.error.type).toBe('string');
    }
    expect(({} as Record<string, unknown>).x).toBeUndefined(); // nothing polluted
    const missing = await fetch(`${base}/v1/nope`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('a prompt longer than the context is an error, not a truncation', async () => {
    const long = 'word '.repeat(3000);
    await expect(client.completions.create({ model: 'tiny-bitnet', prompt: long, max_tokens: 4 })).rejects.toMatchObject({ status: 400, error: { code: 'context_length_exceeded', param: 'prompt' } });
    await expect(client.completions.create({ model: 'tiny-bitnet', prompt: long, max_tokens: 4, stream: true })).rejects.toMatchObject({ status: 400 });
  });
});
