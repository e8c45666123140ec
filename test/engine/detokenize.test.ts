/**
 * Incremental detokenization with the shipped model's real byte-level BPE tokenizer: a character whose UTF-8
 * bytes are split across tokens is emitted once, whole.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { IncrementalDetokenizer } from '../../src/engine/detokenize.js';
import { loadHfTokenizer } from '../../src/tokenizer/hf-tokenizer.js';
import type { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { MODEL_DIR } from '../helpers/golden.js';

let tok: Tokenizer;
beforeAll(async () => {
  tok = await loadHfTokenizer(join(MODEL_DIR, 'tokenizer.json'));
});

/** The byte-level token for a single byte: GPT-2's byte-to-unicode map (formats §6.2 step 2). */
function byteToken(b: number): string {
  const direct = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  if (direct) return String.fromCodePoint(b);
  const shifted = [...Array(256).keys()].filter((x) => !((x >= 33 && x <= 126) || (x >= 161 && x <= 172) || (x >= 174 && x <= 255)));
  return String.fromCodePoint(256 + shifted.indexOf(b));
}

describe('IncrementalDetokenizer [tokenizers]', () => {
  it('holds a split UTF-8 character until its last byte arrives', async () => {
    // "é" is C3 A9 and "🙂" is F0 9F 99 82; feed them one byte-token at a time.
    const ids = [0xc3, 0xa9, 0xf0, 0x9f, 0x99, 0x82].map((b) => tok.tokenToId(byteToken(b)));
    expect(ids.every((id) => id !== null)).toBe(true);
    const d = new IncrementalDetokenizer(tok, [0]);
    const out: string[] = [];
    for (const id of ids) out.push(await d.push(id as number));
    expect(out).toEqual(['', 'é', '', '', '', '🙂']);
    expect(await d.flush()).toBe('');
  });

  it('reproduces the full decode of a real encoding, piece by piece', async () => {
    const text = ' It was the best of times, it was the worst of times — naïve café, 1850.';
    const ids = await tok.encode(text, { addSpecialTokens: false });
    const d = new IncrementalDetokenizer(tok, [0]);
    let streamed = '';
    for (const id of ids) streamed += await d.push(id);
    streamed += await d.flush();
    expect(streamed).toBe(await tok.decode(ids));
    expect(streamed).toBe(text);
  });
});
