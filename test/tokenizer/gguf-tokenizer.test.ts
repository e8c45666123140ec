/**
 * GGUF metadata → tokenizer. The byte-level path is checked against llama.cpp's own token ids (golden/llamacpp, an
 * oracle produced outside this codebase) and against the HF tokenizer.json it was converted from; the SentencePiece
 * path against tokenizations worked out by hand from the SentencePiece BPE rule (merge the adjacent pair whose
 * joined piece scores highest, leftmost first; unknown characters as UTF-8 byte tokens).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FormatError, TokenizerError } from '../../src/errors.js';
import {
  PRE_TOKENIZERS,
  preTokenizerOf,
  sentencePieceMerges,
  specialTokens,
  tokenizerJsonFromGguf,
} from '../../src/tokenizer/gguf-tokenizer.js';
import { loadGgufTokenizer, loadHfTokenizer, tokenizerFromJson } from '../../src/tokenizer/hf-tokenizer.js';
import type { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { rejected, thrown } from '../helpers/catch-error.js';
import { GOLDEN_DIR, MODEL_DIR, golden as tinyGolden } from '../helpers/golden.js';
import { byteLevelInitFromTokenizerJson, metadata, type MetaInit } from './gguf-meta.js';

const TOKENIZER_JSON = join(MODEL_DIR, 'tokenizer.json');
const LLAMACPP_GOLDEN = JSON.parse(readFileSync(new URL('../../golden/llamacpp/golden.json', import.meta.url), 'utf8')) as {
  prompts: { text: string; input_ids: number[] }[];
};

/** The tiny model's vocabulary as golden/llamacpp/README.md §2 says llama.cpp's converter wrote it. */
const tinyInit = (): MetaInit => byteLevelInitFromTokenizerJson(TOKENIZER_JSON, { bos: 0, eos: 1 });

describe('byte-level BPE from tokenizer.ggml.* (the tiny model as llama.cpp converted it)', () => {
  let gguf: Tokenizer;
  let hf: Tokenizer;
  beforeAll(async () => {
    gguf = await loadGgufTokenizer(metadata('tiny.gguf', tinyInit()));
    hf = await loadHfTokenizer(TOKENIZER_JSON);
  });

  it.each(LLAMACPP_GOLDEN.prompts.map((p, i) => [i, p] as const))('llama.cpp prompt %i tokenizes to llama.cpp input_ids', async (_i, p) => {
    expect(await gguf.encode(p.text)).toEqual(p.input_ids);
  });

  it.each(tinyGolden.prompts.map((p) => [p.index, p] as const))('tiny-bitnet prompt %i tokenizes like the HF tokenizer.json', async (_i, p) => {
    expect(await gguf.encode(p.text)).toEqual(p.input_ids);
  });

  it('agrees with the HF tokenizer.json on the held-out Emma text and decodes back to it', async () => {
    const text = readFileSync(join(GOLDEN_DIR, 'heldout-emma.txt'), 'utf8');
    expect(text.length).toBeGreaterThan(5000);
    const ids = await gguf.encode(text);
    expect(ids).toEqual(await hf.encode(text));
    expect(ids[0]).toBe(0);
    expect(await gguf.decode(ids)).toBe(text);
  });

  it('matches special tokens in text verbatim and leaves them out of decode by default', async () => {
    const ids = await gguf.encode('She said that<|end_of_text|>');
    expect(ids).toEqual([0, 3064, 561, 319, 1]);
    expect(await gguf.encode('<|begin_of_text|>x', { addSpecialTokens: false })).toEqual([0, ...(await gguf.encode('x', { addSpecialTokens: false }))]);
    expect(await gguf.decode(ids)).toBe('She said that');
    expect(await gguf.decode(ids, { skipSpecialTokens: false })).toBe('<|begin_of_text|>She said that<|end_of_text|>');
  });

  it('maps tokens and ids like the vocabulary', () => {
    expect(gguf.vocabSize).toBe(4096);
    expect(gguf.tokenToId('<|end_of_text|>')).toBe(1);
    expect(gguf.idToToken(262)).toBe(hf.idToToken(262));
    expect(gguf.tokenToId('no-such-token')).toBeNull();
  });

  it('adds no BOS when add_bos_token is false, and EOS when add_eos_token is true', async () => {
    const tok = await loadGgufTokenizer(metadata('t.gguf', { ...tinyInit(), 'tokenizer.ggml.add_bos_token': false, 'tokenizer.ggml.add_eos_token': true }));
    expect(await tok.encode('She said that')).toEqual([3064, 561, 319, 1]);
  });
});

describe('specialTokens', () => {
  it('reads the ids and flags, finding EOT by its text when no key names it', () => {
    const s = specialTokens(metadata('tiny.gguf', tinyInit()));
    expect(s).toEqual({ bos: 0, eos: 1, eot: 1, eom: null, unk: null, pad: null, addBos: true, addEos: false, endOfGeneration: [1] });
  });

  it('prefers <|eot_id|> as EOT in a LLaMA-3 style vocabulary and stops on every end marker', () => {
    const tokens = ['<|begin_of_text|>', '<|end_of_text|>', '<|start_header_id|>', '<|end_header_id|>', '<|eom_id|>', '<|eot_id|>', 'a', 'b'];
    const s = specialTokens(
      metadata('l3.gguf', {
        'tokenizer.ggml.model': 'gpt2',
        'tokenizer.ggml.pre': 'llama-bpe',
        'tokenizer.ggml.tokens': { array: 'string', items: tokens },
        'tokenizer.ggml.merges': { array: 'string', items: [] },
        'tokenizer.ggml.bos_token_id': 0,
        'tokenizer.ggml.eos_token_id': 1,
      }),
    );
    // add_bos_token absent: llama.cpp turns BOS on for the LLAMA3 pre-tokenizer family.
    expect(s).toMatchObject({ bos: 0, eos: 1, eot: 5, eom: 4, addBos: true, addEos: false });
    expect(s.endOfGeneration).toEqual([1, 4, 5]);
  });

  it('takes tokenizer.ggml.eot_token_id over the text search, and rejects an id outside the vocabulary', () => {
    const s = specialTokens(metadata('t.gguf', { ...tinyInit(), 'tokenizer.ggml.eot_token_id': 7 }));
    expect(s.eot).toBe(7);
    expect(s.endOfGeneration).toEqual([1, 7]);
    const err = thrown(() => specialTokens(metadata('t.gguf', { ...tinyInit(), 'tokenizer.ggml.eos_token_id': 5000 })));
    expect(err).toBeInstanceOf(TokenizerError);
    expect((err as Error).message).toContain('tokenizer.ggml.eos_token_id');
  });

  it('uses llama.cpp defaults for a gpt2 vocabulary without keys: add_bos false unless the pre is LLaMA-3', () => {
    const init = tinyInit();
    delete init['tokenizer.ggml.add_bos_token'];
    expect(specialTokens(metadata('t.gguf', { ...init, 'tokenizer.ggml.pre': 'gpt-2' })).addBos).toBe(false);
    expect(specialTokens(metadata('t.gguf', init)).addBos).toBe(true);
    delete init['tokenizer.ggml.bos_token_id'];
    // BPE default BOS/EOS id is 11 (llama.cpp load()).
    expect(specialTokens(metadata('t.gguf', init))).toMatchObject({ bos: 11, eos: 1 });
  });
});

describe('pre-tokenizer choice', () => {
  /** a, b, c, ab, abc with the single merge "a b": "abc" is one token only when merges are ignored. */
  const toy = (pre: string): MetaInit => ({
    'tokenizer.ggml.model': 'gpt2',
    'tokenizer.ggml.pre': pre,
    'tokenizer.ggml.tokens': { array: 'string', items: ['a', 'b', 'c', 'ab', 'abc'] },
    'tokenizer.ggml.merges': { array: 'string', items: ['a b'] },
    'tokenizer.ggml.add_bos_token': false,
  });

  it('llama-bpe ignores merges for a pre-token that is a vocabulary entry (llama.cpp ignore_merges); gpt-2 does not', async () => {
    expect(await (await loadGgufTokenizer(metadata('t.gguf', toy('llama-bpe')))).encode('abc')).toEqual([4]);
    expect(await (await loadGgufTokenizer(metadata('t.gguf', toy('gpt-2')))).encode('abc')).toEqual([3, 2]);
  });

  it('matches user-defined (4) and control (3) tokens verbatim; decode keeps only the user-defined text', async () => {
    const init = toy('llama-bpe');
    const tok = await loadGgufTokenizer(
      metadata('t.gguf', {
        ...init,
        'tokenizer.ggml.tokens': { array: 'string', items: ['a', 'b', 'c', 'ab', 'abc', '<tool>', '<ctl>'] },
        'tokenizer.ggml.token_type': { array: 'i32', items: [1, 1, 1, 1, 1, 4, 3] },
      }),
    );
    const ids = await tok.encode('a<tool>b<ctl>c');
    expect(ids).toEqual([0, 5, 1, 6, 2]);
    expect(await tok.decode(ids)).toBe('a<tool>bc');
  });

  it.each(Object.keys(PRE_TOKENIZERS))('pre "%s" builds a tokenizer that round-trips mixed text', async (pre) => {
    const tok = await loadGgufTokenizer(metadata('t.gguf', { ...tinyInit(), 'tokenizer.ggml.pre': pre }));
    const text = "He said: 'I'll pay $1234.50 — naïve 東京 café!'\r\n\n  indented\ttab   ";
    expect(await tok.decode(await tok.encode(text))).toBe(text);
  });

  it('splits digits the way each family says', async () => {
    const ids = async (pre: string) => {
      const tok = await loadGgufTokenizer(metadata('t.gguf', { ...tinyInit(), 'tokenizer.ggml.pre': pre }));
      const out = await tok.encode('12345', { addSpecialTokens: false });
      return Promise.all(out.map((id) => tok.decode([id])));
    };
    expect((await ids('llama-bpe')).join('|')).toBe('12|3|4|5'); // \p{N}{1,3}: pre-tokens '123' and '45' (no '123' token)
    expect(await ids('qwen2')).toEqual(['1', '2', '3', '4', '5']); // \p{N}
    expect(await ids('starcoder')).toEqual(['1', '2', '3', '4', '5']); // \p{N} first
  });

  it('treats a missing tokenizer.ggml.pre as llama.cpp does ("default")', () => {
    const init = tinyInit();
    delete init['tokenizer.ggml.pre'];
    expect(preTokenizerOf(metadata('t.gguf', init)).spec).toBe(PRE_TOKENIZERS.default);
  });

  it('rejects an unknown pre, naming the key and the value', async () => {
    const err = await rejected(loadGgufTokenizer(metadata('odd.gguf', { ...tinyInit(), 'tokenizer.ggml.pre': 'no-such-pre' })));
    expect(err).toBeInstanceOf(TokenizerError);
    expect((err as Error).message).toMatch(/odd\.gguf: 'tokenizer\.ggml\.pre' is "no-such-pre"/);
  });
});

describe('malformed metadata', () => {
  it('a tokenizer.json the tokenizers package rejects is a TokenizerError naming the source', async () => {
    const err = await rejected(tokenizerFromJson({ model: { type: 'NoSuchModel' } }, 'made-up source'));
    expect(err).toBeInstanceOf(TokenizerError);
    expect((err as Error).message).toContain('made-up source');
  });

  it('a missing token list is a TokenizerError naming the key', () => {
    const init = tinyInit();
    delete init['tokenizer.ggml.tokens'];
    const err = thrown(() => tokenizerJsonFromGguf(metadata('bad.gguf', init)));
    expect(err).toBeInstanceOf(TokenizerError);
    expect((err as Error).message).toContain('tokenizer.ggml.tokens');
    expect((err as TokenizerError).cause).toBeInstanceOf(FormatError);
  });

  it('missing merges, an unknown model, duplicate tokens and a bad merge are errors naming the key', () => {
    const cases: [MetaInit, string][] = [
      [{ ...tinyInit(), 'tokenizer.ggml.merges': undefined as never }, 'tokenizer.ggml.merges'],
      [{ ...tinyInit(), 'tokenizer.ggml.model': 'bert' }, 'tokenizer.ggml.model'],
      [{ ...tinyInit(), 'tokenizer.ggml.tokens': { array: 'string', items: ['a', 'b', 'a'] }, 'tokenizer.ggml.bos_token_id': 0, 'tokenizer.ggml.eos_token_id': 1 }, 'tokenizer.ggml.tokens'],
      [{ ...tinyInit(), 'tokenizer.ggml.merges': { array: 'string', items: ['ab'] } }, 'tokenizer.ggml.merges'],
    ];
    for (const [init, key] of cases) {
      const clean = Object.fromEntries(Object.entries(init).filter(([, v]) => v !== undefined)) as MetaInit;
      const err = thrown(() => tokenizerJsonFromGguf(metadata('bad.gguf', clean)));
      expect(err, key).toBeInstanceOf(TokenizerError);
      expect((err as Error).message, key).toContain(key);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// SentencePiece BPE (tokenizer.ggml.model = "llama")
// ---------------------------------------------------------------------------------------------------------------

/**
 * A hand-made LLaMA-2 style vocabulary: <unk> <s> </s>, the 256 byte tokens, then pieces with scores. "bc" scores
 * above "ab", so in "▁abc" b+c merges first.
 */
const SPM_PIECES: [string, number][] = [
  ['▁', -1],
  ['a', -2],
  ['b', -3],
  ['c', -4],
  ['bc', -4.5],
  ['ab', -5],
  ['▁a', -6],
  ['▁ab', -8],
];
const BYTE0 = 3;
const PIECE0 = BYTE0 + 256;
const id = (piece: string): number => PIECE0 + SPM_PIECES.findIndex(([p]) => p === piece);

const SPM_BYTES = Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
const SPM_TOKENS = ['<unk>', '<s>', '</s>', ...SPM_BYTES, ...SPM_PIECES.map(([p]) => p)];
const SPM_SCORES = [0, 0, 0, ...SPM_BYTES.map(() => 0), ...SPM_PIECES.map(([, s]) => s)];

function spmInit(extra: MetaInit = {}): MetaInit {
  return {
    'tokenizer.ggml.model': 'llama',
    'tokenizer.ggml.tokens': { array: 'string', items: SPM_TOKENS },
    'tokenizer.ggml.scores': { array: 'f32', items: SPM_SCORES },
    'tokenizer.ggml.token_type': { array: 'i32', items: [2, 3, 3, ...SPM_BYTES.map(() => 6), ...SPM_PIECES.map(() => 1)] },
    'tokenizer.ggml.bos_token_id': 1,
    'tokenizer.ggml.eos_token_id': 2,
    'tokenizer.ggml.unknown_token_id': 0,
    ...extra,
  };
}

describe('SentencePiece BPE from tokenizer.ggml.* ("llama")', () => {
  let spm: Tokenizer;
  beforeAll(async () => {
    spm = await loadGgufTokenizer(metadata('spm.gguf', spmInit()));
  });

  it('derives merges ordered by the joined piece score, then longer left piece (transformers generate_merges)', () => {
    expect(sentencePieceMerges(SPM_TOKENS, SPM_SCORES)).toEqual([
      ['b', 'c'], // bc  -4.5
      ['a', 'b'], // ab  -5
      ['▁', 'a'], // ▁a  -6
      ['▁a', 'b'], // ▁ab -8, left piece of 2 characters first
      ['▁', 'ab'], // ▁ab -8
    ]);
  });

  it('merges the highest-scoring pair first, with BOS and the ▁ prefix', async () => {
    // "ab" → ▁ a b: ab (-5) beats ▁a (-6) → ▁ ab → ▁ab.
    expect(await spm.encode('ab')).toEqual([1, id('▁ab')]);
    // "abc" → ▁ a b c: bc (-4.5) first → ▁ a bc; then ▁a (-6); "abc" is no piece → ▁a bc.
    expect(await spm.encode('abc')).toEqual([1, id('▁a'), id('bc')]);
    // "a b" → ▁ a ▁ b: only ▁a joins → ▁a ▁ b.
    expect(await spm.encode('a b')).toEqual([1, id('▁a'), id('▁'), id('b')]);
  });

  it('falls back to UTF-8 byte tokens for a character not in the vocabulary, and decodes it back', async () => {
    const ids = await spm.encode('aé');
    expect(ids).toEqual([1, id('▁a'), BYTE0 + 0xc3, BYTE0 + 0xa9]);
    expect(await spm.decode(ids)).toBe('aé');
  });

  it('decodes ▁ as a space and strips the one prefix space', async () => {
    const ids = await spm.encode('ab c');
    expect(ids).toEqual([1, id('▁ab'), id('▁'), id('c')]);
    expect(await spm.decode(ids)).toBe('ab c');
  });

  it('matches control tokens verbatim, prefixing ▁ after them as llama.cpp does', async () => {
    expect(await spm.encode('ab</s>ab')).toEqual([1, id('▁ab'), 2, id('▁ab')]);
  });

  it('honours tokenizer.ggml.add_space_prefix = false', async () => {
    const tok = await loadGgufTokenizer(metadata('spm.gguf', spmInit({ 'tokenizer.ggml.add_space_prefix': false })));
    expect(await tok.encode('ab')).toEqual([1, id('ab')]);
    expect(await tok.decode(await tok.encode('ab c'))).toBe('ab c');
  });

  it('has SentencePiece special-token defaults and requires scores', () => {
    expect(specialTokens(metadata('spm.gguf', spmInit()))).toMatchObject({ bos: 1, eos: 2, unk: 0, addBos: true, addEos: false, endOfGeneration: [2] });
    const init = spmInit();
    delete init['tokenizer.ggml.scores'];
    const err = thrown(() => tokenizerJsonFromGguf(metadata('spm.gguf', init)));
    expect(err).toBeInstanceOf(TokenizerError);
    expect((err as Error).message).toContain('tokenizer.ggml.scores');
  });
});
