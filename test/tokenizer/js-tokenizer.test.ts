/**
 * The pure-JS tokenizer (js-tokenizer.ts over @huggingface/tokenizers, what browsers use) against the native
 * `tokenizers` addon (what Node uses) on the shipped model's tokenizer.json: the same ids for every text and the same
 * text for every id sequence, over a fixed corpus of awkward cases, the held-out text, the golden prompts (whose ids
 * the oracle computed outside this codebase), every single id, and seeded random strings and id sequences.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { TokenizerError } from '../../src/errors.js';
import { diskFolder } from '../../src/formats/disk-folder.js';
import { memoryFolder } from '../../src/formats/model-folder.js';
import { loadHfTokenizer } from '../../src/tokenizer/hf-tokenizer.js';
import { jsTokenizerFromJson, loadJsTokenizer } from '../../src/tokenizer/js-tokenizer.js';
import type { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { rejected, thrown } from '../helpers/catch-error.js';
import { GOLDEN_DIR, MODEL_DIR, golden } from '../helpers/golden.js';

const TOKENIZER_JSON = join(MODEL_DIR, 'tokenizer.json');

/** Texts that exercise each branch of the LLaMA-3 pre-tokenizer regex, byte-level fallbacks and added tokens. */
const CORPUS = [
  '',
  ' ',
  'Call me Ishmael.',
  '  leading and trailing  ',
  "I'LL don't We'Re it's THEY'VE you'd I'm",
  'héllo wörld — naïve café, Œuvre, straße',
  '日本語のテキスト、中文文本，한국어 텍스트',
  '🎉👍🏽 👨‍👩‍👧‍👦 🏳️‍🌈 emoji with ZWJ and skin tones',
  'tabs\tand\r\nCRLF\nnewlines\n\n\n  indented\n\t\tmore',
  '12345678 3.14159 1,000,000 2024-01-01 0x1F',
  '<|begin_of_text|>special tokens<|end_of_text|> in text <|begin_of_text|>',
  'a  b   c    d     ',
  '\u00a0no-break\u2003em\u2009thin\u3000ideographic spaces',
  'Ω≈ç√∫˜µ≤≥÷ ¡™£¢∞§¶•ªº–≠',
  '\u0000\u0001\u001f control \u007f characters',
  'x'.repeat(300),
  '!!!???...,,,;;;:::---___===+++***',
  '\u200b\u200c\u200d\ufeff zero-width',
  'Fellow-Citizens of the Senate and House of Representatives:',
];

let native: Tokenizer;
let js: Tokenizer;
beforeAll(async () => {
  native = await loadHfTokenizer(TOKENIZER_JSON);
  js = await loadJsTokenizer(diskFolder(MODEL_DIR));
});

async function expectSameEncoding(text: string): Promise<void> {
  for (const addSpecialTokens of [true, false]) {
    expect(await js.encode(text, { addSpecialTokens }), JSON.stringify(text)).toEqual(await native.encode(text, { addSpecialTokens }));
  }
}

async function expectSameDecoding(ids: readonly number[]): Promise<void> {
  for (const skipSpecialTokens of [true, false]) {
    expect(await js.decode(ids, { skipSpecialTokens }), JSON.stringify(ids)).toBe(await native.decode(ids, { skipSpecialTokens }));
  }
}

describe('pure-JS tokenizer agrees with the native one (shipped tiny-bitnet tokenizer.json)', () => {
  it('has the same vocabulary size and token ↔ id maps', () => {
    expect(js.vocabSize).toBe(native.vocabSize);
    for (let id = 0; id < native.vocabSize; id++) {
      const token = native.idToToken(id);
      expect(js.idToToken(id)).toBe(token);
      expect(js.tokenToId(token!)).toBe(id);
    }
    expect(js.tokenToId('no such token')).toBeNull();
    expect(js.idToToken(native.vocabSize + 10)).toBeNull();
  });

  it('encodes and decodes the fixed corpus identically', async () => {
    for (const text of CORPUS) {
      await expectSameEncoding(text);
      await expectSameDecoding(await native.encode(text));
    }
  });

  it("gives the oracle's prompt ids (golden/tiny-bitnet, computed outside this codebase)", async () => {
    for (const p of golden.prompts) expect(await js.encode(p.text)).toEqual(p.input_ids);
  });

  it('encodes the held-out text like the native tokenizer (5,307 tokens, as golden text_perplexity counts)', async () => {
    const text = readFileSync(join(GOLDEN_DIR, golden.text_perplexity.file), 'utf8');
    const ids = await js.encode(text, { addSpecialTokens: false });
    expect(ids.length).toBe(golden.text_perplexity.tokens - 2);
    expect(ids).toEqual(await native.encode(text, { addSpecialTokens: false }));
    for (const line of text.split('\n')) await expectSameEncoding(line);
  });

  it('decodes the oracle held-out token stream ([BOS] document [EOS] …) identically, whole and in windows', async () => {
    const b = readFileSync(join(GOLDEN_DIR, golden.perplexity.tokens_file));
    const stream = Array.from(new Int32Array(b.buffer, b.byteOffset, b.length / 4));
    await expectSameDecoding(stream);
    // Windows start mid-character as often as not: byte tokens that split a UTF-8 sequence decode to U+FFFD alike.
    for (let start = 0; start < stream.length; start += 97) await expectSameDecoding(stream.slice(start, start + 1 + (start % 13)));
  });

  it('decodes every single id, the empty list, and ids outside the vocabulary identically', async () => {
    for (let id = 0; id < native.vocabSize; id++) await expectSameDecoding([id]);
    await expectSameDecoding([]);
    await expectSameDecoding([36, native.vocabSize, 37, native.vocabSize + 1000]);
  });

  it('agrees on seeded random strings (graphemes, any code point, whitespace/contraction soup)', async () => {
    const soup = fc.constantFrom(' ', '  ', '\n', '\r', '\t', 'a', 'A', "'", 's', 'S', 'LL', 've', '1', '12', '.', 'é', '日', '🎉', '\u00a0', '\u2028', '<|begin_of_text|>', '<|end_of_text|>');
    const text = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ maxLength: 60 }),
      fc.string({ unit: soup, maxLength: 30 }),
    );
    await fc.assert(fc.asyncProperty(text, (t) => expectSameEncoding(t)), { seed: 20250506, numRuns: 3000 });
  });

  it('agrees on seeded random id sequences', async () => {
    const ids = fc.array(fc.integer({ min: 0, max: 4095 }), { minLength: 1, maxLength: 12 });
    await fc.assert(fc.asyncProperty(ids, (s) => expectSameDecoding(s)), { seed: 20250507, numRuns: 3000 });
  });
});

describe('pure-JS tokenizer errors', () => {
  it('a folder without tokenizer.json is a TokenizerError naming the file', async () => {
    const err = await rejected(loadJsTokenizer(memoryFolder('https://example.test/m/', {})));
    expect(err).toBeInstanceOf(TokenizerError);
    expect((err as Error).message).toContain('https://example.test/m/tokenizer.json');
  });

  it('a malformed document is a TokenizerError naming its source', () => {
    for (const bad of ['{ not json', '{"model": {"type": "NoSuchModel"}}']) {
      const err = thrown(() => jsTokenizerFromJson(bad, 'x/tokenizer.json'));
      expect(err).toBeInstanceOf(TokenizerError);
      expect((err as Error).message).toContain('x/tokenizer.json');
    }
  });
});
