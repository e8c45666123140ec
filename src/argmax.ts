/**
 * Index of the largest value; the lowest index wins a tie. NaN never wins, except that a NaN first value is kept
 * (every comparison with it is false): greedy decoding's rule, shared by the engine's sampler, the model's host
 * fallback and every backend's argmaxRows (spec/argmax-rows.spec.ts).
 */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}
