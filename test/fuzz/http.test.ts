/**
 * Fuzzing the HTTP request checks (src/openai/requests.ts) and `bitnet serve` (src/server/app.ts, through Fastify's
 * `app.inject`, no sockets), docs/fuzzing.md. The engine behind the server is the real InferenceEngineBase over the
 * scripted model and byte tokenizer of test/helpers/fakes.ts (context 64), so options, chat rendering, the
 * context bound and the streaming path are the real ones.
 *
 * Properties: the checks throw only RequestError, and what they accept the engine accepts (resolveOptions does not
 * throw); the server never answers 5xx to a client's body, every error is in OpenAI's shape, a 200 is a
 * completion or an SSE stream ending in [DONE]; `__proto__` keys pollute nothing and are not read as fields; a
 * prompt longer than the context is refused (400 context_length_exceeded), never truncated.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { InferenceEngineBase, type EngineParts } from '../../src/engine/base-engine.js';
import { resolveOptions } from '../../src/engine/options.js';
import { ContextLengthError } from '../../src/errors.js';
import { asBody, chatMessages, completionPrompt, generationOptions, RequestError } from '../../src/openai/requests.js';
import { createServer } from '../../src/server/app.js';
import { ByteTokenizer, fakeConfig, ScriptedModel } from '../helpers/fakes.js';
import { expectPrototypesUntouched, params, prototypeSnapshot, runs, timeoutFor, titled, typedOutcome, typedOutcomeAsync } from './runs.js';

const CONTEXT = 64;
const MAX_TOKENS = 8;

class TestEngine extends InferenceEngineBase {
  constructor(parts: EngineParts) {
    super(parts);
  }
}

/** ids 0 BOS, 1 EOS, 2 + b the byte b. */
function engine(): { engine: TestEngine; model: ScriptedModel } {
  const bytes = [new Uint8Array(0), new Uint8Array(0), ...Array.from({ length: 256 }, (_, b) => Uint8Array.of(b))];
  const model = new ScriptedModel(fakeConfig({ vocabSize: bytes.length, contextLength: CONTEXT }), (pos) => (pos % 5 === 0 ? 1 : 2 + 0x61 + (pos % 26)));
  return { engine: new TestEngine({ source: 'fake', model, tokenizer: new ByteTokenizer(bytes), defaults: {}, eosTokenIds: [1], chatTemplate: null }), model };
}

const isRequestError = (err: unknown) => err instanceof RequestError;

// Field values: the right type, boundary values of it, and every wrong type.
const anyJson = fc.jsonValue({ maxDepth: 2 });
const numberish = fc.oneof(fc.constantFrom(0, -0, 1, -1, 0.5, 2, 8, 9, 2 ** 31, 2 ** 32, 2 ** 53, -(2 ** 53), 1e308, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 1e-300), fc.double({ noNaN: true, noDefaultInfinity: true }));
const stopArb = fc.oneof(fc.string({ maxLength: 5 }), fc.array(fc.string({ maxLength: 5 }), { maxLength: 6 }), anyJson);
const messageArb = fc.oneof(
  { weight: 4, arbitrary: fc.record({ role: fc.constantFrom('system', 'user', 'assistant'), content: fc.string({ maxLength: 30 }) }) },
  { weight: 1, arbitrary: fc.record({ role: fc.oneof(fc.string({ maxLength: 8 }), anyJson), content: fc.oneof(fc.string({ maxLength: 8 }), anyJson) }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: anyJson },
);
const bodyArb = fc.record(
  {
    messages: fc.oneof({ weight: 4, arbitrary: fc.array(messageArb, { maxLength: 4 }) }, { weight: 1, arbitrary: anyJson }),
    prompt: fc.oneof({ weight: 4, arbitrary: fc.string({ maxLength: 80 }) }, { weight: 1, arbitrary: anyJson }),
    max_tokens: fc.oneof(numberish, anyJson),
    max_completion_tokens: fc.oneof(numberish, anyJson),
    temperature: fc.oneof(numberish, anyJson),
    top_p: fc.oneof(numberish, anyJson),
    n: fc.oneof(numberish, anyJson),
    seed: fc.oneof(numberish, anyJson),
    stop: stopArb,
    stream: fc.oneof(fc.boolean(), anyJson),
    model: fc.oneof(fc.string({ maxLength: 8 }), anyJson),
  },
  { requiredKeys: [] },
);

describe('request checks, fuzzed', () => {
  const nChecks = runs(20_000);
  it(titled('any body: the checks throw only RequestError, and options they accept the engine accepts', nChecks), () => {
    fc.assert(
      fc.property(fc.oneof({ weight: 6, arbitrary: bodyArb }, { weight: 1, arbitrary: anyJson }), (raw) => {
        const body = typedOutcome('asBody', () => asBody(raw), isRequestError);
        if (!body.ok) return;
        const gen = typedOutcome('generationOptions', () => generationOptions(body.value, { maxTokens: MAX_TOKENS }), isRequestError);
        if (gen.ok) {
          // What passes the HTTP checks must not fail later as an engine option (that would be a 500).
          resolveOptions(gen.value.options);
          expect(gen.value.options.maxTokens).toBeGreaterThanOrEqual(1);
          expect(gen.value.options.maxTokens).toBeLessThanOrEqual(MAX_TOKENS);
        }
        const chat = typedOutcome('chatMessages', () => chatMessages(body.value), isRequestError);
        if (chat.ok) for (const m of chat.value) expect(['system', 'user', 'assistant'].includes(m.role) && typeof m.content === 'string').toBe(true);
        typedOutcome('completionPrompt', () => completionPrompt(body.value), isRequestError);
      }),
      params(nChecks),
    );
  }, timeoutFor(nChecks, 0.5));

  const nProto = runs(3_000);
  it(titled('bodies whose fields sit behind __proto__ / constructor.prototype: not read as fields, nothing polluted', nProto), () => {
    const fieldArb = fc.constantFrom('messages', 'prompt', 'max_tokens', 'temperature', 'stop', 'stream', 'seed');
    fc.assert(
      fc.property(fc.constantFrom('__proto__', 'constructor'), fieldArb, (key, field) => {
        const hidden: Record<string, unknown> = { messages: [{ role: 'user', content: 'hi' }], prompt: 'hi', max_tokens: 1000, temperature: 99, stop: [''], stream: 'yes', seed: -1 };
        const inner = `{${JSON.stringify(field)}: ${JSON.stringify(hidden[field])}, "polluted": 1}`;
        const text = key === '__proto__' ? `{"__proto__": ${inner}}` : `{"constructor": {"prototype": ${inner}}}`;
        const before = prototypeSnapshot();
        const body = asBody(JSON.parse(text));
        const gen = typedOutcome('generationOptions', () => generationOptions(body, { maxTokens: MAX_TOKENS }), isRequestError);
        const chat = typedOutcome('chatMessages', () => chatMessages(body), isRequestError);
        const prompt = typedOutcome('completionPrompt', () => completionPrompt(body), isRequestError);
        expectPrototypesUntouched(before, ['polluted', field]);
        // Each hidden value would be refused or change the options if it were read; none is.
        expect(gen.ok && gen.value.options.maxTokens === MAX_TOKENS && gen.value.options.temperature === 1 && gen.value.stream === false && gen.value.options.stop === undefined).toBe(true);
        expect(chat.ok).toBe(false);
        expect(prompt.ok).toBe(false);
      }),
      params(nProto),
    );
  }, timeoutFor(nProto, 0.5));
});

describe('bitnet serve, fuzzed through app.inject', () => {
  const { engine: e } = engine();
  const app = createServer(e, { modelName: 'fake', maxTokens: MAX_TOKENS, bodyLimit: 4096 });
  afterAll(() => app.close());

  /** Posts `payload` (raw text) and checks the answer's shape; returns status and body text. */
  async function post(url: string, payload: string, contentType = 'application/json'): Promise<{ status: number; body: string }> {
    const res = await typedOutcomeAsync('inject', () => app.inject({ method: 'POST', url, payload, headers: { 'content-type': contentType } }));
    if (!res.ok) throw res.error;
    const { statusCode: status, body } = res.value;
    if (status >= 500) throw new Error(`${url} answered ${status} to ${payload.slice(0, 200)}: ${body.slice(0, 300)}`);
    if (status >= 400) {
      const json = JSON.parse(body) as { error?: { message?: unknown; type?: unknown } };
      if (typeof json.error?.message !== 'string' || typeof json.error.type !== 'string') throw new Error(`error not in OpenAI's shape: ${body.slice(0, 300)}`);
    } else if (body.startsWith('data: ')) {
      if (!body.trimEnd().endsWith('data: [DONE]')) throw new Error(`a stream that does not end in [DONE]: ${body.slice(-200)}`);
    } else {
      const json = JSON.parse(body) as { choices?: unknown[] };
      if (!Array.isArray(json.choices) || json.choices.length !== 1) throw new Error(`a 200 without one choice: ${body.slice(0, 300)}`);
    }
    return { status, body };
  }

  // Mostly-valid bodies (messages and prompt well formed) reach the engine, so the options are what is tested.
  const validOptions = fc.record(
    {
      max_tokens: fc.integer({ min: 1, max: MAX_TOKENS }),
      temperature: fc.double({ min: 0, max: 2, noNaN: true }),
      top_p: fc.double({ min: 0.01, max: 1, noNaN: true }),
      seed: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
      stop: fc.oneof(fc.string({ maxLength: 3 }), fc.array(fc.string({ maxLength: 3 }), { maxLength: 4 })),
      stream: fc.boolean(),
      n: fc.constant(1),
    },
    { requiredKeys: [] },
  );
  const validish = fc.tuple(validOptions, fc.array(fc.record({ role: fc.constantFrom('system', 'user', 'assistant'), content: fc.string({ maxLength: 20 }) }), { minLength: 1, maxLength: 3 }), fc.string({ maxLength: 20 }));
  const rawArb = fc.oneof(
    { weight: 4, arbitrary: validish.map(([b, messages, prompt]) => JSON.stringify({ ...b, messages, prompt })) },
    { weight: 4, arbitrary: bodyArb.map((b) => JSON.stringify(b)) },
    { weight: 1, arbitrary: anyJson.map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 1, arbitrary: bodyArb.chain((b) => fc.nat().map((cut) => JSON.stringify(b).slice(0, cut % (JSON.stringify(b).length + 1)))) },
    { weight: 1, arbitrary: fc.constantFrom('{"__proto__": {"x": 1}, "messages": []}', '{"constructor": {"prototype": {"x": 1}}}', '[', 'null', '""', '{"messages": [' + '['.repeat(3000) + ']'.repeat(3000) + ']}', '{"prompt": "' + 'x'.repeat(5000) + '"}') },
  );

  const nInject = runs(1_500);
  it(titled('any body to either endpoint: never a 5xx, errors in OpenAI shape, a 200 is a completion or an SSE stream ending in [DONE], nothing polluted', nInject), async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/v1/chat/completions', '/v1/completions'), rawArb, fc.constantFrom('application/json', 'application/json', 'text/plain'), async (url, payload, type) => {
        const before = prototypeSnapshot();
        await post(url, payload, type);
        expectPrototypesUntouched(before, ['x']);
      }),
      params(nInject),
    );
  }, timeoutFor(nInject, 10));

  const nContext = runs(300);
  it(titled('a prompt of L bytes (L + 1 tokens with BOS) is answered 400 context_length_exceeded exactly when L + 1 > the context, else generated: never truncated', nContext), async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 3 * CONTEXT }), fc.boolean(), async (length, stream) => {
        const prompt = 'a'.repeat(length);
        const { status, body } = await post('/v1/completions', JSON.stringify({ prompt, max_tokens: 2, stream }));
        if (length + 1 > CONTEXT) {
          expect(status).toBe(400);
          expect(JSON.parse(body).error.code).toBe('context_length_exceeded');
        } else {
          expect(status).toBe(200);
        }
      }),
      params(nContext),
    );
  }, timeoutFor(nContext, 10));
});

describe('the context bound in the engine, fuzzed', () => {
  const nEngine = runs(500);
  it(titled('token prompts of any length: longer than the context is ContextLengthError before any forward pass; otherwise the whole prompt is used', nEngine), async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 * CONTEXT }), fc.integer({ min: 1, max: 16 }), async (length, maxTokens) => {
        const { engine: e, model } = engine();
        const tokenIds = Array.from({ length }, (_, i) => 2 + (i % 256));
        const r = await typedOutcomeAsync('generate', () => e.generate({ tokenIds }, { maxTokens, greedy: true }));
        if (length > CONTEXT) {
          expect(r.ok).toBe(false);
          if (!r.ok) expect(r.error).toBeInstanceOf(ContextLengthError);
          expect(model.forwardCalls).toBe(0);
        } else {
          expect(r.ok).toBe(true);
          if (r.ok) {
            expect(r.value.promptTokenIds).toEqual(tokenIds);
            expect(r.value.promptTokenIds.length + r.value.tokenIds.length).toBeLessThanOrEqual(CONTEXT);
          }
        }
      }),
      params(nEngine),
    );
  }, timeoutFor(nEngine, 10));
});
