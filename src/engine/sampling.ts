/**
 * Picks the next token from one row of logits: a pure function of the logits, the token history (for the
 * repetition penalty), the sampling parameters and a seeded Rng that the caller passes in.
 */
import {
  applyMinP,
  applyRepetitionPenalty,
  applyTemperature,
  applyTopK,
  applyTopP,
  softmaxOf,
  type Candidates,
} from './logits-processors.js';
import { argmax } from '../argmax.js';
import type { Rng } from '../random.js';

export interface SamplingParams {
  /** 0 means greedy. */
  readonly temperature: number;
  /** 0 disables top-k. */
  readonly topK: number;
  /** 1 disables top-p. */
  readonly topP: number;
  /** 0 disables min-p. */
  readonly minP: number;
  /** 1 disables the repetition penalty. */
  readonly repetitionPenalty: number;
}

export { argmax };

/** Temperature 0 without a repetition penalty: the next token is the argmax of the logits as they are. */
export const isPlainGreedy = (p: SamplingParams): boolean => p.temperature === 0 && p.repetitionPenalty === 1;

export function sampleToken(logits: ArrayLike<number>, history: readonly number[], p: SamplingParams, rng: Rng): number {
  // Plain greedy reads the logits as they are: widening them to float64 first changes no comparison (every
  // float32 is a float64), and a copy a token is a megabyte at a 128k vocabulary.
  if (isPlainGreedy(p)) return argmax(logits);
  const work = Float64Array.from(logits);
  applyRepetitionPenalty(work, history, p.repetitionPenalty);
  if (p.temperature === 0) return argmax(work);

  const c: Candidates = { ids: Int32Array.from(work, (_, i) => i), logits: work, length: work.length };
  applyTemperature(c, p.temperature);
  if (p.topK > 0 || p.topP < 1) applyTopK(c, p.topK);
  applyTopP(c, p.topP);
  applyMinP(c, p.minP);

  const probs = softmaxOf(c);
  const r = rng.nextFloat();
  let cumulative = 0;
  for (let i = 0; i < c.length; i++) {
    cumulative += probs[i];
    if (r < cumulative) return c.ids[i];
  }
  return c.ids[c.length - 1];
}
