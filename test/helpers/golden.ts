/**
 * Access to the float64 oracle of the shipped model (golden/tiny-bitnet, produced outside this codebase by an
 * independent numpy implementation; see golden/tiny-bitnet/README.md).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const GOLDEN_DIR = fileURLToPath(new URL('../../golden/tiny-bitnet/', import.meta.url));
export const MODEL_DIR = fileURLToPath(new URL('../../models/tiny-bitnet/', import.meta.url));

export interface GoldenPrompt {
  index: number;
  text: string;
  input_ids: number[];
  logits_file: string;
  logits_shape: [number, number];
  greedy_ids: number[];
  greedy_top2_margins: number[];
}

export interface Golden {
  prompts: GoldenPrompt[];
  perplexity: { tokens_file: string; scored_tokens: number; window: number; window_nll_sums: number[]; ppl: number };
  text_perplexity: { file: string; tokens: number; scored_tokens: number; window: number; window_nll_sums: number[]; ppl: number };
}

export const golden: Golden = JSON.parse(readFileSync(`${GOLDEN_DIR}golden.json`, 'utf8')) as Golden;

export function readF64(file: string): Float64Array {
  const b = readFileSync(`${GOLDEN_DIR}${file}`);
  const out = new Float64Array(b.length / 8);
  new Uint8Array(out.buffer).set(b);
  return out;
}

export function readI32(file: string): Int32Array {
  const b = readFileSync(`${GOLDEN_DIR}${file}`);
  const out = new Int32Array(b.length / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}

/** Largest violation of |got − want| ≤ rel · max(|want|, 1): ≤ 1 means within tolerance. */
export function worstRelative(got: ArrayLike<number>, want: ArrayLike<number>, rel: number): { ratio: number; index: number } {
  let ratio = 0;
  let index = -1;
  for (let i = 0; i < want.length; i++) {
    if (!Number.isFinite(got[i])) return { ratio: Infinity, index: i };
    const r = Math.abs(got[i] - want[i]) / (rel * Math.max(Math.abs(want[i]), 1));
    if (r > ratio) {
      ratio = r;
      index = i;
    }
  }
  return { ratio, index };
}
