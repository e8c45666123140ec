/**
 * Generation options, their defaults, and their validation (an invalid option throws InvalidOptionError; none is
 * silently ignored). Defaults come, in order, from the call, the model's generation_config.json, then
 * llama.cpp's CLI defaults (temperature 0.8, top-k 40, top-p 0.95, min-p 0.05, no repetition penalty).
 */
import { InvalidOptionError } from '../errors.js';
import { randomSeed } from '../random.js';
import type { SamplingParams } from './sampling.js';

export interface GenerateOptions {
  /** Most new tokens to generate (default 256; generation also ends when the context is full). */
  readonly maxTokens?: number;
  /** Softmax temperature; 0 is greedy. */
  readonly temperature?: number;
  /** Keep the k most likely tokens; 0 disables. */
  readonly topK?: number;
  /** Nucleus sampling mass in (0, 1]; 1 disables. */
  readonly topP?: number;
  /** Drop tokens below minP × the top probability; 0 disables. */
  readonly minP?: number;
  /** > 1 discourages tokens already in the context (transformers' definition); 1 disables. */
  readonly repetitionPenalty?: number;
  /** Shorthand for temperature 0. */
  readonly greedy?: boolean;
  /** Makes sampling reproducible; a random seed is chosen (and reported) when absent. */
  readonly seed?: number;
  /** Generation ends before the first occurrence of any of these; the stop string is not returned. */
  readonly stop?: string | readonly string[];
  /** Prepend the tokenizer's special tokens (BOS) to a text prompt (default true). */
  readonly addSpecialTokens?: boolean;
  /** Keep going past end-of-sequence tokens (default false). */
  readonly ignoreEos?: boolean;
  readonly signal?: AbortSignal;
}

export interface ResolvedOptions {
  readonly maxTokens: number;
  readonly sampling: SamplingParams;
  readonly seed: number;
  readonly stop: readonly string[];
  readonly addSpecialTokens: boolean;
  readonly ignoreEos: boolean;
  readonly signal: AbortSignal | undefined;
}

export const DEFAULT_MAX_TOKENS = 256;
const LLAMA_CPP_DEFAULTS = { temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05, repetitionPenalty: 1 };

/** Sampling defaults a model's generation_config.json sets (transformers' key names). */
export function defaultsFromGenerationConfig(gen: Record<string, unknown> | null): GenerateOptions {
  if (gen === null) return {};
  const num = (k: string): number | undefined => (Object.hasOwn(gen, k) && typeof gen[k] === 'number' ? (gen[k] as number) : undefined);
  const out: Record<string, unknown> = {
    temperature: num('temperature'),
    topK: num('top_k'),
    topP: num('top_p'),
    minP: num('min_p'),
    repetitionPenalty: num('repetition_penalty'),
    maxTokens: num('max_new_tokens'),
  };
  if (Object.hasOwn(gen, 'do_sample') && gen.do_sample === false) out.greedy = true;
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as GenerateOptions;
}

function check(name: string, value: number, ok: boolean, domain: string): number {
  if (!Number.isFinite(value) || !ok) throw new InvalidOptionError(name, `must be ${domain}, got ${value}`);
  return value;
}

/** Merges call options over model defaults and validates every value. */
export function resolveOptions(call: GenerateOptions, modelDefaults: GenerateOptions = {}): ResolvedOptions {
  // A call that sets any sampling knob means "sample", even if the model's config says greedy.
  const callSamples = call.temperature !== undefined && call.temperature > 0;
  const o = { ...LLAMA_CPP_DEFAULTS, maxTokens: DEFAULT_MAX_TOKENS, ...modelDefaults, ...(callSamples ? { greedy: false } : {}), ...defined(call) };
  const maxTokens = check('maxTokens', o.maxTokens, Number.isSafeInteger(o.maxTokens) && o.maxTokens >= 1, 'an integer >= 1');
  const temperature = o.greedy === true ? 0 : check('temperature', o.temperature, o.temperature >= 0, '>= 0');
  const topK = check('topK', o.topK, Number.isSafeInteger(o.topK) && o.topK >= 0, 'an integer >= 0');
  const topP = check('topP', o.topP, o.topP > 0 && o.topP <= 1, 'in (0, 1]');
  const minP = check('minP', o.minP, o.minP >= 0 && o.minP <= 1, 'in [0, 1]');
  const repetitionPenalty = check('repetitionPenalty', o.repetitionPenalty, o.repetitionPenalty > 0, '> 0');
  const seed = o.seed ?? randomSeed();
  check('seed', seed, Number.isSafeInteger(seed) && seed >= 0, 'a non-negative safe integer');
  const stop = o.stop === undefined ? [] : typeof o.stop === 'string' ? [o.stop] : [...o.stop];
  if (stop.some((s) => typeof s !== 'string' || s.length === 0)) throw new InvalidOptionError('stop', 'must be non-empty strings');
  return {
    maxTokens,
    sampling: { temperature, topK, topP, minP, repetitionPenalty },
    seed,
    stop,
    addSpecialTokens: o.addSpecialTokens ?? true,
    ignoreEos: o.ignoreEos ?? false,
    signal: o.signal,
  };
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
