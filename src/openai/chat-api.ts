/**
 * `engine.chat`: a function, `engine.chat(messages, options)` → the reply as a GenerationResult, that also carries
 * `engine.chat.completions.create(request)`, the OpenAI-shaped call web-llm and the OpenAI SDK offer: a
 * `chat.completion` object, or with `stream: true` an async iterable of `chat.completion.chunk` objects (the last
 * with `finish_reason` and `usage`). Requests are checked as the HTTP server checks them; a bad field is an
 * InvalidOptionError naming it.
 */
import type { GenerateOptions } from '../engine/options.js';
import type { GenerationResult } from '../engine/result.js';
import type { GenerationStream } from '../engine/stream.js';
import { InvalidOptionError } from '../errors.js';
import type { ChatMessage } from '../tokenizer/chat-template.js';
import { asBody, chatMessages, generationOptions, RequestError } from './requests.js';
import { chatChunk, chatCompletion, finishReason, usage } from './responses.js';

/** What the chat API needs of an engine. */
export interface ChatEngine {
  streamChat(messages: readonly ChatMessage[], options?: GenerateOptions): GenerationStream;
  readonly config: { readonly contextLength: number };
}

export interface ChatCompletionRequest {
  readonly messages: readonly { readonly role: 'system' | 'user' | 'assistant'; readonly content: string }[];
  readonly model?: string;
  readonly stream?: boolean;
  readonly max_tokens?: number;
  readonly temperature?: number;
  readonly top_p?: number;
  readonly stop?: string | readonly string[];
  readonly seed?: number;
  /** Not an OpenAI field: cancels the generation. */
  readonly signal?: AbortSignal;
}

export type ChatCompletion = ReturnType<typeof chatCompletion>;
export type ChatCompletionChunk = ReturnType<typeof chatChunk> & { usage?: ReturnType<typeof usage> };

export interface ChatCompletions {
  create(request: ChatCompletionRequest & { stream: true }): Promise<AsyncIterable<ChatCompletionChunk>>;
  create(request: ChatCompletionRequest & { stream?: false }): Promise<ChatCompletion>;
  create(request: ChatCompletionRequest): Promise<ChatCompletion | AsyncIterable<ChatCompletionChunk>>;
}

export type ChatApi = ((messages: readonly ChatMessage[], options?: GenerateOptions) => Promise<GenerationResult>) & { readonly completions: ChatCompletions };

function checked<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof RequestError) throw new InvalidOptionError(err.param ?? 'request', `is invalid: ${err.message}`);
    throw err;
  }
}

async function* chunks(s: GenerationStream, id: string, model: string, created: number): AsyncGenerator<ChatCompletionChunk> {
  yield chatChunk(id, model, created, { role: 'assistant', content: '' }, null);
  for await (const c of s) yield chatChunk(id, model, created, { content: c.text }, null);
  const r = await s.result;
  yield { ...chatChunk(id, model, created, {}, finishReason(r.finishReason)), usage: usage(r) };
}

export function chatApi(engine: ChatEngine, model: string): ChatApi {
  let next = 0;
  const create = async (request: ChatCompletionRequest): Promise<ChatCompletion | AsyncIterable<ChatCompletionChunk>> => {
    const { messages, options, stream } = checked(() => {
      const body = asBody(request);
      return { messages: chatMessages(body), ...generationOptions(body, { maxTokens: engine.config.contextLength }) };
    });
    const s = engine.streamChat(messages, { ...options, ...(request.signal !== undefined ? { signal: request.signal } : {}) });
    const id = `chatcmpl-${Date.now().toString(36)}-${next++}`;
    const created = Math.floor(Date.now() / 1000);
    if (stream) return chunks(s, id, request.model ?? model, created);
    return chatCompletion(id, request.model ?? model, created, await s.result);
  };
  const chat = (messages: readonly ChatMessage[], options: GenerateOptions = {}) => engine.streamChat(messages, options).result;
  return Object.assign(chat, { completions: { create } as ChatCompletions });
}
