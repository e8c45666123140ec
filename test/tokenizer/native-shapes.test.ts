/**
 * Which tokenizer.json documents the native `tokenizers` addon is given: only the byte-level BPE shapes BitNet
 * checkpoints use (src/tokenizer/hf-tokenizer.ts). Documents the addon is known to panic on — a panic aborts the
 * whole process, so a failure here kills the test worker — go to the pure-JS tokenizer, which loads them or refuses
 * them with a TokenizerError.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TokenizerError } from '../../src/errors.js';
import { tokenizerFromJson } from '../../src/tokenizer/hf-tokenizer.js';
import { jsTokenizerFromJson } from '../../src/tokenizer/js-tokenizer.js';
import type { TokenizerJson } from '../../src/tokenizer/tokenizer.js';

const shipped = JSON.parse(readFileSync(new URL('../../models/tiny-bitnet/tokenizer.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const text = 'Call me Ishmael. Some years ago — never mind how long precisely —';

describe('documents outside the native shapes', () => {
  it('the shipped byte-level BPE document still loads natively and agrees with the pure-JS tokenizer', async () => {
    const native = await tokenizerFromJson(shipped as TokenizerJson, 'shipped');
    expect(native.constructor.name).toBe('HfTokenizer');
    expect(await native.encode(text)).toEqual(await jsTokenizerFromJson(shipped as TokenizerJson, 'shipped').encode(text));
  });

  it('merges given as [left, right] pairs load natively with the same result, also when a part holds a space', async () => {
    const model = shipped.model as { merges: (string | [string, string])[]; vocab: Record<string, number> };
    const pairs = model.merges.map((m) => (typeof m === 'string' ? (m.split(' ') as [string, string]) : m));
    const n = Math.max(...Object.values(model.vocab)) + 1;
    const vocab = { ...model.vocab, 'x y': n, z: n + 1, 'x yz': n + 2 };
    // A "left right" string cannot say where a part with a space ends: such a table must reach the addon as pairs.
    for (const merges of [pairs, [...pairs, ['x y', 'z'] as [string, string]]]) {
      const doc = { ...shipped, model: { ...model, vocab, merges } } as TokenizerJson;
      const native = await tokenizerFromJson(doc, 'pairs.json');
      expect(native.constructor.name).toBe('HfTokenizer');
      expect(await native.encode(text)).toEqual(await jsTokenizerFromJson(shipped as TokenizerJson, 'shipped').encode(text));
    }
  });

  const risky: [string, Record<string, unknown>][] = [
    ['a Prepend normalizer with an empty string (the addon panics on it)', { ...shipped, normalizer: { type: 'Prepend', prepend: '' } }],
    ['a Precompiled normalizer with a malformed charsmap', { ...shipped, normalizer: { type: 'Precompiled', precompiled_charsmap: 'AAAA' } }],
    ['a WordPiece model with an empty vocabulary', { ...shipped, model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: {} } }],
    ['a Metaspace decoder', { ...shipped, decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true } }],
  ];
  for (const [what, doc] of risky) {
    it(`${what}: loaded by the pure-JS tokenizer or refused with a TokenizerError, never handed to the addon`, async () => {
      let tok;
      try {
        tok = await tokenizerFromJson(doc as TokenizerJson, 'risky.json');
      } catch (err) {
        expect(err).toBeInstanceOf(TokenizerError);
        return;
      }
      expect(tok.constructor.name).toBe('PureJsTokenizer');
      try {
        await tok.encode(text);
      } catch (err) {
        expect(err).toBeInstanceOf(TokenizerError);
      }
    });
  }
});
