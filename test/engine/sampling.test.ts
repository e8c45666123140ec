/**
 * Sampling against worked distributions: each processor's definition (transformers' semantics) and the
 * reproducibility of a seed.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/random.js';
import { argmax, sampleToken, type SamplingParams } from '../../src/engine/sampling.js';

const plain: SamplingParams = { temperature: 1, topK: 0, topP: 1, minP: 0, repetitionPenalty: 1 };

function frequencies(logits: number[], p: SamplingParams, draws: number, seed = 7): number[] {
  const rng = new Rng(seed);
  const counts = new Array(logits.length).fill(0);
  for (let i = 0; i < draws; i++) counts[sampleToken(logits, [], p, rng)]++;
  return counts.map((c) => c / draws);
}

describe('sampling', () => {
  it('argmax takes the lowest index among ties', () => {
    expect(argmax([1, 3, 3, 2])).toBe(1);
  });

  it('temperature 0 is greedy', () => {
    const rng = new Rng(1);
    for (let i = 0; i < 20; i++) expect(sampleToken([0.1, 2, 1.9], [], { ...plain, temperature: 0 }, rng)).toBe(1);
  });

  it('samples in proportion to softmax: logits [0, ln 3] give 1/4, 3/4', () => {
    const f = frequencies([0, Math.log(3)], plain, 20000);
    expect(f[0]).toBeCloseTo(0.25, 1);
    expect(Math.abs(f[1] - 0.75)).toBeLessThan(0.015);
  });

  it('temperature 2 flattens: p1 = √3 / (1 + √3) ≈ 0.634', () => {
    const f = frequencies([0, Math.log(3)], { ...plain, temperature: 2 }, 20000);
    expect(Math.abs(f[1] - Math.sqrt(3) / (1 + Math.sqrt(3)))).toBeLessThan(0.015);
  });

  it('top-k 1 is greedy for every seed', () => {
    for (let seed = 0; seed < 50; seed++) expect(sampleToken([0.5, 0.2, 0.6, 0.1], [], { ...plain, topK: 1 }, new Rng(seed))).toBe(2);
  });

  it('top-k 2 never picks outside the two best', () => {
    const f = frequencies([3, 0, 2.9, 2.8], { ...plain, topK: 2 }, 5000);
    expect(f[1] + f[3]).toBe(0);
    expect(f[0] + f[2]).toBe(1);
  });

  it('top-p keeps tokens while the mass before them is below p (probs .5/.3/.2)', () => {
    const logits = [Math.log(0.5), Math.log(0.3), Math.log(0.2)];
    // p = 0.5: the mass before the second token is 0.5, not < 0.5 → only the first survives (as transformers).
    expect(frequencies(logits, { ...plain, topP: 0.5 }, 2000)).toEqual([1, 0, 0]);
    // p = 0.6: two survive, renormalised to 0.625 / 0.375.
    const f = frequencies(logits, { ...plain, topP: 0.6 }, 20000);
    expect(f[2]).toBe(0);
    expect(Math.abs(f[0] - 0.625)).toBeLessThan(0.015);
  });

  it('min-p drops tokens below minP × the top probability', () => {
    // probs ∝ 1, 0.5, 0.09: min-p 0.1 drops the last.
    const f = frequencies([0, Math.log(0.5), Math.log(0.09)], { ...plain, minP: 0.1 }, 20000);
    expect(f[2]).toBe(0);
    expect(Math.abs(f[0] - 2 / 3)).toBeLessThan(0.015);
  });

  it('repetition penalty divides positive and multiplies negative logits of seen tokens', () => {
    // [2, -2, 1.5] with tokens 0 and 1 seen, penalty 2 → [1, -4, 1.5]: greedy now picks token 2.
    expect(sampleToken([2, -2, 1.5], [0, 1], { ...plain, temperature: 0, repetitionPenalty: 2 }, new Rng(0))).toBe(2);
    // A penalty below 1 encourages: [1, 0.9] with token 1 seen and penalty 0.5 → [1, 1.8].
    expect(sampleToken([1, 0.9], [1], { ...plain, temperature: 0, repetitionPenalty: 0.5 }, new Rng(0))).toBe(1);
  });

  it('a seed reproduces the same draws, another seed does not', () => {
    const logits = Array.from({ length: 50 }, (_, i) => Math.sin(i));
    const draw = (seed: number) => {
      const rng = new Rng(seed);
      return Array.from({ length: 40 }, () => sampleToken(logits, [], plain, rng));
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it('Rng floats are uniform in [0, 1)', () => {
    const rng = new Rng(123);
    let sum = 0;
    for (let i = 0; i < 10000; i++) {
      const x = rng.nextFloat();
      expect(x >= 0 && x < 1).toBe(true);
      sum += x;
    }
    expect(Math.abs(sum / 10000 - 0.5)).toBeLessThan(0.01);
  });
});
