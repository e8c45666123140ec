/**
 * Perplexity over a token stream, as the oracle defines it: windows [kW, kW + W) of the stream, each run with a
 * fresh context (no KV carried over), predict tokens kW + 1 .. kW + W; ppl = exp(Σ NLL / scored), over the first
 * `maxPredictions` predictions. NLL from float64 log-softmax of each position's logits.
 */
import { InvalidOptionError } from '../errors.js';
import type { Model } from '../model/model.js';

export interface PerplexityOptions {
  /** Positions per window (default 256). */
  readonly window?: number;
  /** Predictions scored (default 20,000, or all the stream has). */
  readonly maxPredictions?: number;
  /** Called after each window with predictions scored so far and the total to score. */
  readonly onProgress?: (scored: number, total: number) => void;
  readonly signal?: AbortSignal;
}

export interface PerplexityResult {
  readonly perplexity: number;
  /** Predictions scored. */
  readonly tokens: number;
  readonly totalNll: number;
  readonly windowNllSums: readonly number[];
}

/** −log softmax(row)[target], in float64. */
export function negativeLogLikelihood(row: ArrayLike<number>, offset: number, n: number, target: number): number {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, row[offset + i]);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp(row[offset + i] - max);
  return Math.log(sum) + max - row[offset + target];
}

export async function perplexity(model: Model, tokens: ArrayLike<number>, options: PerplexityOptions = {}): Promise<PerplexityResult> {
  const W = options.window ?? 256;
  if (!Number.isSafeInteger(W) || W < 1 || W > model.config.contextLength) {
    throw new InvalidOptionError('window', `must be an integer in [1, ${model.config.contextLength}], got ${W}`);
  }
  const limit = options.maxPredictions ?? 20_000;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new InvalidOptionError('maxPredictions', `must be an integer >= 1, got ${limit}`);
  const total = Math.min(limit, tokens.length - 1);
  if (total < 1) throw new InvalidOptionError('tokens', 'needs at least two tokens to score one prediction');

  const cache = model.createCache(W);
  const V = model.config.vocabSize;
  const windowNllSums: number[] = [];
  let totalNll = 0;
  try {
    for (let start = 0; start < total; start += W) {
      if (options.signal?.aborted) throw options.signal.reason;
      const n = Math.min(W, total - start);
      cache.reset();
      const ids = Int32Array.from({ length: n }, (_, i) => tokens[start + i]);
      const logits = await model.forward(ids, cache, { logits: 'all' });
      let nll = 0;
      for (let t = 0; t < n; t++) nll += negativeLogLikelihood(logits.data, t * V, V, tokens[start + t + 1]);
      windowNllSums.push(nll);
      totalNll += nll;
      options.onProgress?.(start + n, total);
    }
  } finally {
    cache.release();
  }
  return { perplexity: Math.exp(totalNll / total), tokens: total, totalNll, windowNllSums };
}
