/**
 * `bitnet serve` under load, over loopback only, on the shipped model: autocannon fires a bounded number of mixed
 * requests (chat and text completions, plain and streamed, seeded and greedy) over a few keep-alive connections,
 * under a time cap. Every one must come back 200 with the same text as the same request sent alone. Then the queue's
 * one documented refusal: with one generation running and `maxQueue` waiting, every further request is answered 429
 * at once in OpenAI's error shape, and the queued ones still get their answers.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceEngine } from '../../src/engine/engine.js';
import { createServer } from '../../src/server/app.js';
import { MODEL_DIR } from '../helpers/golden.js';

// autocannon 9 ships no types; the part of its API used here.
interface CannonRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  onResponse?: (status: number, body: string) => void;
}
interface CannonResult {
  errors: number;
  timeouts: number;
  non2xx: number;
  mismatches: number;
  duration: number;
  statusCodeStats: Record<string, { count: number }>;
  latency: { p50: number; p99: number; max: number };
  requests: { average: number; total: number };
}
interface CannonInstance extends PromiseLike<CannonResult> {
  stop(): void;
  on(event: 'response', listener: (client: unknown, status: number) => void): void;
}
type Autocannon = (opts: { url: string; connections: number; amount: number; timeout: number; requests: CannonRequest[] }) => CannonInstance;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

/** The requests of the mixed load: each kind of generation the API offers, with and without a seed. */
const bodies: { path: string; body: Record<string, unknown> }[] = [
  { path: '/v1/chat/completions', body: { messages: [{ role: 'user', content: 'Who is the captain?' }], max_tokens: 8, temperature: 1, seed: 1 } },
  { path: '/v1/chat/completions', body: { messages: [{ role: 'user', content: 'Who is the captain?' }], max_tokens: 8, temperature: 1, seed: 2, stream: true } },
  { path: '/v1/chat/completions', body: { messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Tell me of the sea.' }], max_tokens: 8, temperature: 0 } },
  { path: '/v1/chat/completions', body: { messages: [{ role: 'user', content: 'Tell me of the sea.' }], max_tokens: 8, temperature: 0.8, top_p: 0.9, seed: 3, stream: true } },
  { path: '/v1/completions', body: { prompt: 'Call me Ishmael.', max_tokens: 8, temperature: 0 } },
  { path: '/v1/completions', body: { prompt: 'Call me Ishmael.', max_tokens: 8, temperature: 1, seed: 4, stream: true } },
  { path: '/v1/completions', body: { prompt: 'Fellow-Citizens of the Senate', max_tokens: 8, temperature: 1, seed: 5 } },
  { path: '/v1/completions', body: { prompt: 'Fellow-Citizens of the Senate', max_tokens: 8, temperature: 0, stream: true } },
];
const JSON_HEADERS = { 'content-type': 'application/json' };

/** The generated text of one response body: a JSON completion, or server-sent events that must end in [DONE]. */
function textOf(body: string, streamed: boolean): string {
  if (!streamed) {
    const json = JSON.parse(body) as { choices: { message?: { content: string }; text?: string }[] };
    return json.choices[0].message?.content ?? (json.choices[0].text as string);
  }
  const events = body.split('\n\n').filter((e) => e !== '');
  expect(events.every((e) => e.startsWith('data: '))).toBe(true);
  expect(events.at(-1)).toBe('data: [DONE]');
  const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)) as { choices: { delta?: { content?: string }; text?: string; finish_reason: string | null }[] });
  expect(chunks.at(-1)!.choices[0].finish_reason).not.toBeNull();
  return chunks.map((c) => c.choices[0].delta?.content ?? c.choices[0].text ?? '').join('');
}

let engine: InferenceEngine;
beforeAll(async () => {
  engine = await InferenceEngine.load(MODEL_DIR, { backend: 'wasm', threads: 1 });
});
afterAll(() => engine?.close());

/** A server on 127.0.0.1 and an ephemeral port; `close` stops it. */
async function serve(options: { concurrency: number; maxQueue: number; maxTokens?: number }) {
  const app = createServer(engine, { modelName: 'tiny-bitnet', ...options });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const close = async () => {
    app.server.closeAllConnections(); // keep-alive sockets of the clients, which app.close() would wait out
    await app.close();
  };
  return { url, close, health: async () => (await (await fetch(`${url}/health`)).json()) as { active: number; waiting: number } };
}

describe('bitnet serve under load (autocannon, loopback)', () => {
  it('160 mixed requests over 4 connections: all 200, each equal to the same request sent alone', async () => {
    const server = await serve({ concurrency: 2, maxQueue: 64, maxTokens: 32 });
    try {
      const alone: string[] = [];
      for (const { path, body } of bodies) {
        const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(body) });
        expect(res.status).toBe(200);
        alone.push(textOf(await res.text(), body.stream === true));
      }
      expect(new Set(alone).size).toBe(bodies.length); // the eight requests really ask for different things

      const got: { i: number; status: number; body: string }[] = [];
      const requests = bodies.map(({ path, body }, i) => ({
        method: 'POST',
        path,
        headers: JSON_HEADERS,
        body: JSON.stringify(body),
        onResponse: (status: number, text: string) => void got.push({ i, status, body: text }),
      }));
      const amount = 160;
      const run = autocannon({ url: server.url, connections: 4, amount, timeout: 30, requests });
      const cap = setTimeout(() => run.stop(), 45_000); // bounded in time as well as in count
      const result = await run;
      clearTimeout(cap);

      expect(got.length, `completed ${got.length} of ${amount} within the time cap`).toBe(amount);
      expect({ errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx, mismatches: result.mismatches }).toEqual({ errors: 0, timeouts: 0, non2xx: 0, mismatches: 0 });
      expect(Object.keys(result.statusCodeStats)).toEqual(['200']);
      for (const { i, status, body } of got) {
        expect(status).toBe(200);
        expect(textOf(body, bodies[i].body.stream === true), `request ${i}`).toBe(alone[i]);
      }
      expect(new Set(got.map((g) => g.i)).size).toBe(bodies.length);
      expect(await server.health()).toMatchObject({ active: 0, waiting: 0 });
      console.log(
        `load: ${amount} requests, 4 connections, concurrency 2: ${result.duration.toFixed(1)} s, ${(amount / result.duration).toFixed(1)} req/s, latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms`,
      );
    } finally {
      await server.close();
    }
  });

  it('over --max-queue: 429 at once in OpenAI’s error shape; the queued requests are still answered correctly', async () => {
    const maxQueue = 2;
    const server = await serve({ concurrency: 1, maxQueue });
    try {
      const ask = { messages: [{ role: 'user', content: 'Who is the captain?' }], max_tokens: 8, temperature: 1, seed: 7 };
      const alone = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(ask) });
      const want = textOf(await alone.text(), false);

      // One long greedy generation holds the only slot (this prompt runs to its 1000 tokens without an end token).
      const holder = new AbortController();
      const held = await fetch(`${server.url}/v1/completions`, {
        method: 'POST',
        headers: JSON_HEADERS,
        body: JSON.stringify({ prompt: 'Call me Ishmael.', max_tokens: 1000, temperature: 0, stream: true }),
        signal: holder.signal,
      });
      const reader = held.body!.getReader();
      await reader.read(); // the first event: it is generating
      expect(await server.health()).toMatchObject({ active: 1, waiting: 0 });


      const got: { status: number; body: string }[] = [];
      const burst = 6;
      const run = autocannon({
        url: server.url,
        connections: burst,
        amount: burst,
        timeout: 30,
        requests: [{ method: 'POST', path: '/v1/chat/completions', headers: JSON_HEADERS, body: JSON.stringify(ask), onResponse: (status, body) => void got.push({ status, body }) }],
      });
      // The refusals come back while the holder still generates; then it goes away and the queue drains.
      const deadline = Date.now() + 20_000;
      while (got.length < burst - maxQueue && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(got.map((g) => g.status)).toEqual(Array(burst - maxQueue).fill(429));
      expect(await server.health()).toMatchObject({ active: 1, waiting: maxQueue });
      holder.abort();
      const result = await run;

      expect(result.errors).toBe(0);
      expect(result.statusCodeStats).toEqual({ '200': { count: maxQueue }, '429': { count: burst - maxQueue } });
      for (const { status, body } of got) {
        const json = JSON.parse(body) as { error?: { message: string; type: string; param: string | null; code: string | null }; choices?: { message: { content: string } }[] };
        if (status === 429) {
          expect(json.error).toEqual({ message: expect.stringMatching(/busy/), type: 'rate_limit_exceeded', param: null, code: null });
        } else {
          expect(json.choices![0].message.content).toBe(want);
        }
      }
      expect(await server.health()).toMatchObject({ active: 0, waiting: 0 });
    } finally {
      await server.close();
    }
  });
});
