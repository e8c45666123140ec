/**
 * Logits processors, each a small pure function over a candidate list, applied in transformers' order
 * (repetition penalty, temperature, top-k, top-p, min-p) by sampling.ts. Candidates are kept sorted by logit,
 * highest first, once top-k or top-p needs an order.
 */

/** Token ids with their (processed) logits; only the first `length` entries are live. */
export interface Candidates {
  ids: Int32Array;
  logits: Float64Array;
  length: number;
}

/**
 * transformers' RepetitionPenaltyLogitsProcessor: every token already in `context` has its logit divided by
 * `penalty` when positive and multiplied by it when negative (penalty > 1 discourages repeats).
 */
export function applyRepetitionPenalty(logits: Float64Array, context: readonly number[], penalty: number): void {
  if (penalty === 1) return;
  const seen = new Set<number>();
  for (const id of context) {
    if (seen.has(id) || id < 0 || id >= logits.length) continue;
    seen.add(id);
    const v = logits[id];
    logits[id] = v < 0 ? v * penalty : v / penalty;
  }
}

/** Divides every logit by the temperature (> 0). */
export function applyTemperature(c: Candidates, temperature: number): void {
  if (temperature === 1) return;
  for (let i = 0; i < c.length; i++) c.logits[i] /= temperature;
}

/** Sorts the live candidates by logit, highest first (ties: lower id first). */
export function sortCandidates(c: Candidates): void {
  const order = Array.from({ length: c.length }, (_, i) => i);
  order.sort((a, b) => c.logits[b] - c.logits[a] || c.ids[a] - c.ids[b]);
  const ids = Int32Array.from(order, (i) => c.ids[i]);
  const logits = Float64Array.from(order, (i) => c.logits[i]);
  c.ids.set(ids);
  c.logits.set(logits);
}

/** Keeps the k highest logits (k ≤ 0 disables), leaving the candidates sorted. */
export function applyTopK(c: Candidates, k: number): void {
  if (k > 0 && k < c.length) {
    // Select with a threshold first so that a 128k vocabulary is not fully sorted for k = 40.
    const threshold = kthLargest(c.logits.subarray(0, c.length), k);
    let n = 0;
    for (let i = 0; i < c.length; i++) {
      if (c.logits[i] >= threshold) {
        c.ids[n] = c.ids[i];
        c.logits[n] = c.logits[i];
        n++;
      }
    }
    c.length = n;
  }
  sortCandidates(c);
  // Ties at the threshold may leave more than k; keep exactly k, lower ids first (sorted above).
  if (k > 0 && c.length > k) c.length = k;
}

/** Keeps the most likely candidates whose probabilities before them sum to less than p (at least one). */
export function applyTopP(c: Candidates, p: number): void {
  if (p >= 1) return;
  const probs = softmaxOf(c);
  let before = 0;
  let n = 0;
  while (n < c.length && (n === 0 || before < p)) {
    before += probs[n];
    n++;
  }
  c.length = n;
}

/** Drops candidates whose probability is below minP times the top probability. */
export function applyMinP(c: Candidates, minP: number): void {
  if (minP <= 0) return;
  let max = -Infinity;
  for (let i = 0; i < c.length; i++) max = Math.max(max, c.logits[i]);
  let n = 0;
  for (let i = 0; i < c.length; i++) {
    if (Math.exp(c.logits[i] - max) >= minP) {
      c.ids[n] = c.ids[i];
      c.logits[n] = c.logits[i];
      n++;
    }
  }
  c.length = n;
}

/** Probabilities of the live candidates (softmax of their logits), float64. */
export function softmaxOf(c: Candidates): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < c.length; i++) max = Math.max(max, c.logits[i]);
  const p = new Float64Array(c.length);
  let sum = 0;
  for (let i = 0; i < c.length; i++) sum += p[i] = Math.exp(c.logits[i] - max);
  for (let i = 0; i < c.length; i++) p[i] /= sum;
  return p;
}

function kthLargest(values: Float64Array, k: number): number {
  const copy = Float64Array.from(values);
  copy.sort();
  return copy[copy.length - k];
}
