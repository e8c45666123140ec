/** The objects OpenAI's API returns (and its SDK parses), built from the engine's results. */
import type { FinishReason, GenerationResult } from '../engine/result.js';

/** OpenAI's finish reasons: 'stop' covers end-of-sequence and stop strings. */
export function finishReason(r: FinishReason): 'stop' | 'length' {
  return r === 'length' ? 'length' : 'stop';
}

export function usage(r: GenerationResult) {
  return { prompt_tokens: r.usage.promptTokens, completion_tokens: r.usage.generatedTokens, total_tokens: r.usage.promptTokens + r.usage.generatedTokens };
}

export function chatCompletion(id: string, model: string, created: number, r: GenerationResult) {
  return {
    id,
    object: 'chat.completion',
    created,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: r.text }, logprobs: null, finish_reason: finishReason(r.finishReason) }],
    usage: usage(r),
    system_fingerprint: `bitnet-ts-seed-${r.seed}`,
  };
}

export function chatChunk(id: string, model: string, created: number, delta: { role?: 'assistant'; content?: string }, finish: 'stop' | 'length' | null) {
  return { id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] };
}

export function textCompletion(id: string, model: string, created: number, r: GenerationResult) {
  return { id, object: 'text_completion', created, model, choices: [{ index: 0, text: r.text, logprobs: null, finish_reason: finishReason(r.finishReason) }], usage: usage(r) };
}

export function textChunk(id: string, model: string, created: number, text: string, finish: 'stop' | 'length' | null) {
  return { id, object: 'text_completion', created, model, choices: [{ index: 0, text, logprobs: null, finish_reason: finish }] };
}

export function errorBody(message: string, type: string, param: string | null, code: string | null = null) {
  return { error: { message, type, param, code } };
}
