/**
 * Fuzzing tokenizer.json and tokenizer_config.json (docs/fuzzing.md): the two tokenizer.json loaders (the native
 * `tokenizers` addon, src/tokenizer/hf-tokenizer.ts, and the pure-JS one browsers use, js-tokenizer.ts) and the
 * chat-template reader of tokenizer_config.json (chat-template.ts `chatTemplateFromHfFolder`).
 *
 * Inputs: a small tokenizer.json cut from the shipped one (300 tokens, so a case costs about a millisecond), with
 * any of its fields set to other JSON values, its text mutated byte by byte, and tokens or keys spelled
 * `__proto__` / `constructor`; tokenizer_config.json as any JSON, and the shipped one edited.
 *
 * Properties: loading gives a tokenizer or a TokenizerError; a loaded tokenizer's encode / decode give results or a
 * TokenizerError (never a library's bare Error); each case is bounded in time; nothing is planted on prototypes.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TokenizerError } from '../../src/errors.js';
import { memoryFolder } from '../../src/formats/model-folder.js';
import { chatTemplateFromHfFolder, renderChat } from '../../src/tokenizer/chat-template.js';
import { tokenizerFromJson } from '../../src/tokenizer/hf-tokenizer.js';
import { jsTokenizerFromJson, loadJsTokenizer } from '../../src/tokenizer/js-tokenizer.js';
import type { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { applyMutations, mutationsArb } from './mutate.js';
import { expectPrototypesUntouched, params, prototypeSnapshot, runs, timeoutFor, titled, typedOutcome, typedOutcomeAsync } from './runs.js';

const shippedText = readFileSync(new URL('../../models/tiny-bitnet/tokenizer.json', import.meta.url), 'utf8');
const shipped = JSON.parse(shippedText) as { model: { vocab: Record<string, number>; merges: (string | [string, string])[] } } & Record<string, unknown>;

/** The shipped tokenizer with its vocabulary cut to ids < 300 and the merges among those (same structure, 1/15 the size). */
function smallTokenizer(): Record<string, unknown> {
  const doc = structuredClone(shipped);
  const vocab = Object.fromEntries(Object.entries(doc.model.vocab).filter(([, id]) => id < 300));
  doc.model.vocab = vocab;
  doc.model.merges = doc.model.merges.filter((m) => {
    const [a, b] = typeof m === 'string' ? m.split(' ') : m;
    return Object.hasOwn(vocab, a) && Object.hasOwn(vocab, b) && Object.hasOwn(vocab, a + b);
  });
  return doc;
}
const small = smallTokenizer();

/** Every path into `doc` (objects and arrays), skipping the bulk of the vocabulary and merges but keeping a few. */
function paths(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(v)) v.slice(0, 4).forEach((x, i) => paths(x, [...prefix, i], out));
  else if (typeof v === 'object' && v !== null) Object.entries(v).slice(0, 12).forEach(([k, x]) => paths(x, [...prefix, k], out));
  return out;
}
const docPaths = paths(small).filter((p) => p.length > 0);

function setAt(doc: unknown, path: readonly (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = (Array.isArray(doc) ? [...(doc as unknown[])] : { ...(doc as object) }) as Record<string | number, unknown>;
  const [head, ...rest] = path;
  copy[head] = setAt(copy[head], rest, value);
  return copy;
}

// @huggingface/tokenizers warns on the console about the odd documents these tests feed it ("Unknown pattern type").
beforeAll(() => {
  vi.spyOn(console, 'warn').mockImplementation(() => undefined);
});
afterAll(() => {
  vi.restoreAllMocks();
});

const SAMPLE = 'Hello world, __proto__ and constructor! 12345 \u00e9\u4e2d <|begin_of_text|>';
const oddValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(null, 0, -1, 2 ** 31, 2 ** 53, 1e308, '', '(', '\\p{', '[^', '(a+)+$', 'BPE', 'WordPiece', 'Unigram', 'WordLevel', 'Sequence', 'Split', 'ByteLevel', 'TemplateProcessing', '__proto__', [], {}, { type: 'Sequence' }, { Regex: '(' }),
);

/** Loads `text` with both loaders; each gives a tokenizer or a TokenizerError, and what loads encodes and decodes. */
async function loadBoth(text: string): Promise<Tokenizer[]> {
  const loaded: Tokenizer[] = [];
  const js = typedOutcome('jsTokenizerFromJson', () => jsTokenizerFromJson(text, 'tokenizer.json'));
  if (js.ok) loaded.push(js.value);
  const native = await typedOutcomeAsync('tokenizerFromJson', () => tokenizerFromJson(text, 'tokenizer.json'));
  if (native.ok) loaded.push(native.value);
  for (const t of loaded) {
    const ids = await typedOutcomeAsync('encode', () => t.encode(SAMPLE));
    if (ids.ok) await typedOutcomeAsync('decode', () => t.decode(ids.value));
    await typedOutcomeAsync('decode of arbitrary ids', () => t.decode([0, 1, 2, 299, 300, 4095, 2 ** 31 - 1]));
  }
  return loaded;
}

describe('tokenizer.json, fuzzed', () => {
  const nField = runs(1_200);
  it(titled('fields set to other JSON values: both loaders give a tokenizer or a TokenizerError; encode / decode results or TokenizerErrors', nField), async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom(...docPaths), oddValue), { minLength: 1, maxLength: 3 }), async (edits) => {
        let doc: unknown = small;
        for (const [path, value] of edits) doc = setAt(doc, path, value);
        await loadBoth(JSON.stringify(doc));
      }),
      params(nField),
    );
  }, timeoutFor(nField, 5));

  const nText = runs(800);
  it(titled('tokenizer.json text mutated byte by byte: a tokenizer or a TokenizerError from both loaders', nText), async () => {
    const bytes = new TextEncoder().encode(JSON.stringify(small));
    await fc.assert(
      fc.asyncProperty(mutationsArb(4), async (muts) => {
        await loadBoth(new TextDecoder().decode(applyMutations(bytes, muts)));
      }),
      params(nText),
    );
  }, timeoutFor(nText, 5));

  const nProto = runs(500);
  it(titled('tokens, added tokens and keys spelled __proto__ / constructor: loaded or refused, no prototype touched, a vocabulary token keeps its id', nProto), async () => {
    const protoKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty');
    await fc.assert(
      fc.asyncProperty(protoKey, fc.constantFrom('vocab', 'added', 'top', 'model'), fc.nat({ max: 299 }), async (key, where, id) => {
        const doc = structuredClone(small) as { model: { vocab: Record<string, number> }; added_tokens: unknown[] } & Record<string, unknown>;
        let text: string;
        if (where === 'vocab') {
          // Rename token `id` to `key` (JSON text, so that "__proto__" stays an ordinary key).
          const old = Object.keys(doc.model.vocab).find((t) => doc.model.vocab[t] === id);
          const entries = Object.entries(doc.model.vocab).map(([t, i]) => [t === old ? key : t, i] as const);
          const vocabText = `{${entries.map(([t, i]) => `${JSON.stringify(t)}: ${i}`).join(', ')}}`;
          text = JSON.stringify({ ...doc, model: { ...doc.model, vocab: '@VOCAB@' } }).replace('"@VOCAB@"', vocabText);
        } else if (where === 'added') {
          doc.added_tokens = [...doc.added_tokens, { id: 300, content: key, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }];
          text = JSON.stringify(doc);
        } else {
          const inner = `${JSON.stringify(key)}: {"polluted": 1, "type": "WordPiece", "vocab": {"x": 0}}`;
          text = where === 'top' ? JSON.stringify(doc).replace(/^\{/, `{${inner}, `) : JSON.stringify(doc).replace('"model":{', `"model":{${inner}, `);
        }
        const before = prototypeSnapshot();
        const loaded = await loadBoth(text);
        expectPrototypesUntouched(before, ['polluted', 'type', 'vocab']);
        if (where === 'vocab') for (const t of loaded) expect(t.tokenToId(key), `token '${key}'`).toBe(id);
      }),
      params(nProto),
    );
  }, timeoutFor(nProto, 5));
});

describe('tokenizer_config.json, fuzzed', () => {
  const shippedConfig = JSON.parse(readFileSync(new URL('../../models/tiny-bitnet/tokenizer_config.json', import.meta.url), 'utf8')) as Record<string, unknown>;
  const TEMPLATE = "{{ bos_token }}{% for m in messages %}{{ m['role'] + ': ' + m['content'] + eos_token }}{% endfor %}";
  const field = fc.oneof(
    oddValue,
    fc.constantFrom(TEMPLATE, [{ name: 'default', template: TEMPLATE }], [{ name: 'tool_use', template: TEMPLATE }], [{ name: 'default' }], [null, 1, 'x'], { content: '<s>' }, { content: 5 }),
  );
  const configArb = fc.oneof(
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
    {
      weight: 3,
      arbitrary: fc.record({ chat_template: field, bos_token: field, eos_token: field }, { requiredKeys: [] }).map((r) => JSON.stringify({ ...shippedConfig, ...r })),
    },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('__proto__', 'constructor'), field).map(([k, v]) => `{${JSON.stringify(k)}: {"chat_template": ${JSON.stringify(v)}, "polluted": 1}}`) },
  );

  const nConfig = runs(5_000);
  it(titled('any JSON, or the shipped file with chat_template / bos_token / eos_token set to anything: a template, null or a TokenizerError; what is found renders or fails typed', nConfig), () => {
    const enc = new TextEncoder();
    fc.assert(
      fc.property(configArb, (text) => {
        const folder = memoryFolder('/fuzz/model', { 'tokenizer_config.json': enc.encode(text) });
        const before = prototypeSnapshot();
        const found = typedOutcome('chatTemplateFromHfFolder', () => chatTemplateFromHfFolder(folder));
        expectPrototypesUntouched(before, ['chat_template', 'polluted']);
        if (found.ok && found.value !== null) {
          const t = found.value;
          expect(typeof t.template).toBe('string');
          if (text.startsWith('{"__proto__"') || text.startsWith('{"constructor"')) throw new Error('chat_template was read through a prototype key');
          typedOutcome('renderChat', () => renderChat([{ role: 'user', content: 'hi' }], { template: t.template, bosToken: t.bosToken, eosToken: t.eosToken }));
        }
      }),
      params(nConfig),
    );
  }, timeoutFor(nConfig, 1));

  const nFolder = runs(300);
  it(titled('a model folder whose tokenizer.json is edited loads through loadJsTokenizer or fails with TokenizerError / FormatError', nFolder), async () => {
    const enc = new TextEncoder();
    await fc.assert(
      fc.asyncProperty(fc.option(fc.tuple(fc.constantFrom(...docPaths), oddValue), { nil: undefined }), async (edit) => {
        const doc = edit === undefined ? small : setAt(small, edit[0], edit[1]);
        const folder = memoryFolder('/fuzz/model', { 'tokenizer.json': enc.encode(JSON.stringify(doc)) });
        const t = await typedOutcomeAsync('loadJsTokenizer', () => loadJsTokenizer(folder));
        if (t.ok) await typedOutcomeAsync('encode', () => t.value.encode(SAMPLE));
        else expect(t.error).toBeInstanceOf(TokenizerError);
      }),
      params(nFolder),
    );
  }, timeoutFor(nFolder, 5));
});

describe('tokenizer.json inputs fuzzing found (regressions)', () => {
  const long = 'Call me Ishmael. Some years ago, never mind how long precisely, having little or no money in my purse.';

  it('a truncation (or padding) setting in tokenizer.json is ignored: a prompt is never silently cut', async () => {
    const doc = { ...structuredClone(shipped), truncation: { direction: 'Right', max_length: 4, strategy: 'LongestFirst', stride: 0 }, padding: { strategy: { Fixed: 2 }, direction: 'Right', pad_to_multiple_of: null, pad_id: 1, pad_type_id: 0, pad_token: '<|end_of_text|>' } };
    const plain = await tokenizerFromJson(shippedText, 'tokenizer.json');
    const want = await plain.encode(long);
    expect(want.length).toBeGreaterThan(4);
    expect(await (await tokenizerFromJson(doc, 'tokenizer.json')).encode(long)).toEqual(want);
    expect(await jsTokenizerFromJson(doc, 'tokenizer.json').encode(long)).toEqual(want);
  });

  it('documents on which the native addon panics (aborting the process) are refused with TokenizerError', async () => {
    const docs = [
      // A TemplateProcessing piece naming a special token its special_tokens lacks.
      { ...small, post_processor: { type: 'TemplateProcessing', single: [{ SpecialToken: { id: 'missing', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }], pair: [], special_tokens: {} } },
      // The same under another `type`: the addon matches post-processors by shape.
      { ...small, post_processor: { type: '[^', single: [{ SpecialToken: { id: 'missing', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }], pair: [], special_tokens: {} } },
      // Sequence B in the single template.
      { ...small, post_processor: { type: 'TemplateProcessing', single: [{ Sequence: { id: 'B', type_id: 0 } }], pair: [], special_tokens: {} } },
      // A continuing_subword_prefix longer than a merge's right part.
      { ...small, model: { ...(small.model as object), continuing_subword_prefix: '##' } },
    ];
    for (const doc of docs) {
      const r = await typedOutcomeAsync('tokenizerFromJson', () => tokenizerFromJson(doc, 'tokenizer.json'));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toBeInstanceOf(TokenizerError);
    }
  });

  it('an id of 2^31 in a 300-token vocabulary is refused at once by the pure-JS loader (it used to walk 2^31 slots)', () => {
    const doc = structuredClone(small) as { model: { vocab: Record<string, number> } };
    doc.model.vocab[Object.keys(doc.model.vocab)[3]] = 2 ** 31;
    const r = typedOutcome('jsTokenizerFromJson', () => jsTokenizerFromJson(doc, 'tokenizer.json'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/model\.vocab\[.*\] is 2147483648/);
  });

  it('a tokenizer_config.json that is null or not an object is a TokenizerError, not a TypeError', () => {
    for (const text of ['null', '5', '[1]', '"x"']) {
      const r = typedOutcome('chatTemplateFromHfFolder', () => chatTemplateFromHfFolder(memoryFolder('/m', { 'tokenizer_config.json': new TextEncoder().encode(text) })));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toBeInstanceOf(TokenizerError);
    }
  });
});
