/**
 * OpenAI-shaped request bodies (chat completions and completions), checked field by field into the engine's
 * options. A body is untrusted JSON: only known fields are read, each type-checked, and every problem is a
 * RequestError naming the field (answered as HTTP 400 in OpenAI's error shape).
 */
import type { GenerateOptions } from '../engine/options.js';
import type { ChatMessage } from '../tokenizer/chat-template.js';

export class RequestError extends Error {
  constructor(readonly param: string | null, message: string, readonly status = 400, readonly type = 'invalid_request_error') {
    super(message);
  }
}

export interface ServerLimits {
  /** Largest max_tokens a request may ask for. */
  readonly maxTokens: number;
}

type Body = Record<string, unknown>;

function field<T>(body: Body, name: string, check: (v: unknown) => v is T, what: string): T | undefined {
  if (!Object.hasOwn(body, name) || body[name] === null || body[name] === undefined) return undefined;
  const v = body[name];
  if (!check(v)) throw new RequestError(name, `'${name}' must be ${what}`);
  return v;
}
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isInteger = (v: unknown): v is number => Number.isSafeInteger(v);
const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';
const isString = (v: unknown): v is string => typeof v === 'string';
// Stop strings must be non-empty, as the engine requires (an empty one would otherwise fail there, as a 500).
const isStopString = (s: unknown): s is string => typeof s === 'string' && s.length > 0;
const isStop = (v: unknown): v is string | string[] => isStopString(v) || (Array.isArray(v) && v.length <= 4 && v.every(isStopString));

export function asBody(raw: unknown): Body {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new RequestError(null, 'the request body must be a JSON object');
  return raw as Body;
}

/** Sampling options shared by both endpoints. */
export function generationOptions(body: Body, limits: ServerLimits): { options: GenerateOptions; stream: boolean } {
  const maxTokens = field(body, 'max_tokens', isInteger, 'an integer') ?? field(body, 'max_completion_tokens', isInteger, 'an integer');
  if (maxTokens !== undefined && (maxTokens < 1 || maxTokens > limits.maxTokens)) {
    throw new RequestError('max_tokens', `'max_tokens' must be between 1 and ${limits.maxTokens} on this server, got ${maxTokens}`);
  }
  const temperature = field(body, 'temperature', isNumber, 'a number');
  if (temperature !== undefined && (temperature < 0 || temperature > 2)) throw new RequestError('temperature', "'temperature' must be in [0, 2]");
  const topP = field(body, 'top_p', isNumber, 'a number');
  if (topP !== undefined && (topP <= 0 || topP > 1)) throw new RequestError('top_p', "'top_p' must be in (0, 1]");
  const n = field(body, 'n', isInteger, 'an integer');
  if (n !== undefined && n !== 1) throw new RequestError('n', "only 'n': 1 is supported");
  const seed = field(body, 'seed', isInteger, 'an integer');
  const stop = field(body, 'stop', isStop, 'a non-empty string or an array of at most 4 non-empty strings');
  const stream = field(body, 'stream', isBoolean, 'a boolean') ?? false;
  const options: GenerateOptions = {
    maxTokens: maxTokens ?? Math.min(256, limits.maxTokens),
    // OpenAI's default temperature is 1; top-k and min-p are not OpenAI parameters, so they stay off.
    temperature: temperature ?? 1,
    topP: topP ?? 1,
    topK: 0,
    minP: 0,
    ...(seed !== undefined ? { seed: seed >>> 0 } : {}),
    ...(stop !== undefined ? { stop } : {}),
  };
  return { options, stream };
}

export function chatMessages(body: Body): ChatMessage[] {
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) throw new RequestError('messages', "'messages' must be a non-empty array");
  return messages.map((m, i) => {
    if (typeof m !== 'object' || m === null) throw new RequestError(`messages[${i}]`, 'each message must be an object');
    const { role, content } = m as Record<string, unknown>;
    if (!isString(role) || !['system', 'user', 'assistant'].includes(role)) throw new RequestError(`messages[${i}].role`, "role must be 'system', 'user' or 'assistant'");
    if (!isString(content)) throw new RequestError(`messages[${i}].content`, 'content must be a string');
    return { role, content };
  });
}

export function completionPrompt(body: Body): string {
  const prompt = body.prompt;
  if (!isString(prompt)) throw new RequestError('prompt', "'prompt' must be a string");
  return prompt;
}
