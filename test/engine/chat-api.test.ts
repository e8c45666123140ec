/**
 * engine.chat and engine.chat.completions.create (the OpenAI / web-llm call shape) on the shipped model: the same
 * reply as streamChat with the same settings, OpenAI's objects around it, streamed chunks that add up to it and end
 * with a finish reason and usage, and a bad field as an InvalidOptionError naming it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceEngine } from '../../src/engine/engine.js';
import { InvalidOptionError } from '../../src/errors.js';
import { MODEL_DIR } from '../helpers/golden.js';

let engine: InferenceEngine;
const messages = [{ role: 'system' as const, content: 'You are terse.' }, { role: 'user' as const, content: 'Name a whale.' }];

beforeAll(async () => {
  engine = await InferenceEngine.load(MODEL_DIR, { backend: 'wasm', threads: 1 });
});
afterAll(() => engine?.close());

describe('engine.chat', () => {
  it('engine.chat(messages) is the streamChat reply', async () => {
    const want = await engine.streamChat(messages, { temperature: 0, maxTokens: 10 }).result;
    const got = await engine.chat(messages, { temperature: 0, maxTokens: 10 });
    expect(got.text).toBe(want.text);
    expect(got.tokenIds).toEqual(want.tokenIds);
  });

  it('chat.completions.create returns a chat.completion with that reply and its usage', async () => {
    const want = await engine.streamChat(messages, { temperature: 0, maxTokens: 10 }).result;
    const got = await engine.chat.completions.create({ messages, temperature: 0, max_tokens: 10 });
    expect(got).toMatchObject({ object: 'chat.completion', model: 'tiny-bitnet', choices: [{ index: 0, message: { role: 'assistant', content: want.text }, finish_reason: 'length' }] });
    expect(got.usage).toEqual({ prompt_tokens: want.usage.promptTokens, completion_tokens: 10, total_tokens: want.usage.promptTokens + 10 });
  });

  it('with stream: true, chunks add up to the reply and the last carries finish_reason and usage', async () => {
    const want = await engine.streamChat(messages, { temperature: 0, maxTokens: 10 }).result;
    const chunks = [];
    for await (const c of await engine.chat.completions.create({ messages, temperature: 0, max_tokens: 10, stream: true })) chunks.push(c);
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks.map((c) => c.choices[0].delta.content ?? '').join('')).toBe(want.text);
    const last = chunks[chunks.length - 1];
    expect(last.choices[0].finish_reason).toBe('length');
    expect(last.usage?.completion_tokens).toBe(10);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
  });

  it('a bad field is an InvalidOptionError naming it', async () => {
    await expect(engine.chat.completions.create({ messages, max_tokens: 0 })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(engine.chat.completions.create({ messages, max_tokens: 0 })).rejects.toThrow(/max_tokens/);
    await expect(engine.chat.completions.create({ messages: [] })).rejects.toThrow(/messages/);
  });
});
