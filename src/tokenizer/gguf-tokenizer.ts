/**
 * Tokenizer from GGUF metadata (`tokenizer.ggml.*`, formats §6.1): the keys are turned into the tokenizer.json
 * document Hugging Face would use for the same vocabulary, which a tokenizer runtime then runs: the `tokenizers`
 * package in Node (hf-tokenizer.ts `loadGgufTokenizer`), or the pure-JS one (js-tokenizer.ts). This module builds the
 * document only, so it runs anywhere. Two vocabulary kinds:
 *
 * - `gpt2`: byte-level BPE (formats §6.2). The pre-tokenizer regexes are chosen by `tokenizer.ggml.pre`, transcribed
 *   from llama.cpp `src/llama-vocab.cpp` (`llm_tokenizer_bpe` constructor and `llama_vocab::impl::load`, read at
 *   ggml-org/llama.cpp 00ad355e). llama.cpp applies its regexes one after the other, each splitting the pieces the
 *   previous one left and keeping unmatched text as pieces of its own: exactly a Sequence of `Split(Isolated)`.
 * - `llama`: SentencePiece BPE with scores (1bitLLM / LLaMA-2 style), as the tokenizer.json transformers'
 *   `LlamaConverter` writes (legacy normaliser Prepend("▁") + Replace(" ", "▁"), byte fallback), merges derived from
 *   the scores as transformers' `generate_merges` does.
 *
 * Departures from llama.cpp, on purpose: an unknown `pre` or tokenizer model is an error (llama.cpp also throws);
 * an out-of-range special-token id is an error (llama.cpp warns and keeps its default); decode does not apply
 * llama.cpp's lossy `clean_spaces` post-pass; a `llama` vocabulary must carry scores (llama.cpp would use 0 for all).
 */
import { FormatError, TokenizerError } from '../errors.js';
import type { GgufMetadata } from '../formats/gguf/metadata.js';
import type { TokenizerJson } from './tokenizer.js';

/** The GGUF keys read here (formats §6.1). */
export const TOKENIZER_KEYS = {
  model: 'tokenizer.ggml.model',
  pre: 'tokenizer.ggml.pre',
  tokens: 'tokenizer.ggml.tokens',
  tokenType: 'tokenizer.ggml.token_type',
  merges: 'tokenizer.ggml.merges',
  scores: 'tokenizer.ggml.scores',
  bos: 'tokenizer.ggml.bos_token_id',
  eos: 'tokenizer.ggml.eos_token_id',
  eot: 'tokenizer.ggml.eot_token_id',
  eom: 'tokenizer.ggml.eom_token_id',
  unk: 'tokenizer.ggml.unknown_token_id',
  pad: 'tokenizer.ggml.padding_token_id',
  addBos: 'tokenizer.ggml.add_bos_token',
  addEos: 'tokenizer.ggml.add_eos_token',
  addSpacePrefix: 'tokenizer.ggml.add_space_prefix',
} as const;

/** GGUF token types (formats §6.1; llama.cpp `llama_token_type`). */
export const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;

// ---------------------------------------------------------------------------------------------------------------
// Pre-tokenizers of byte-level BPE vocabularies (llama.cpp `llm_tokenizer_bpe`)
// ---------------------------------------------------------------------------------------------------------------

/** One llama.cpp pre-tokenizer type: its regexes (applied in order) and the flags `load()` sets with it. */
export interface PreTokenizerSpec {
  /** llama.cpp's `LLAMA_VOCAB_PRE_TYPE_*` name, for messages. */
  readonly type: string;
  readonly regexes: readonly string[];
  /** A pre-token that is itself a vocabulary entry becomes one token without merging (llama.cpp `ignore_merges`). */
  readonly ignoreMerges: boolean;
  /** `add_bos` when `tokenizer.ggml.add_bos_token` is absent (llama.cpp sets true for LLAMA3; default false). */
  readonly addBosDefault: boolean;
}

// llama.cpp's "adapted" LLaMA-3 regex: the original's (?i:'s|…) spelled with explicit case classes (PR #6920).
const LLAMA3_REGEX = String.raw`(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`;
const GPT2_REGEX = String.raw`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)`;
const QWEN2_REGEX = String.raw`(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`;

const spec = (type: string, regexes: readonly string[], flags: { ignoreMerges?: boolean; addBosDefault?: boolean } = {}): PreTokenizerSpec => ({
  type,
  regexes,
  ignoreMerges: flags.ignoreMerges ?? false,
  addBosDefault: flags.addBosDefault ?? false,
});

const LLAMA3 = spec('LLAMA3', [LLAMA3_REGEX], { ignoreMerges: true, addBosDefault: true });
const DBRX = spec('DBRX', [LLAMA3_REGEX]);
const SMAUG = spec('SMAUG', [LLAMA3_REGEX]);
const DEFAULT = spec('DEFAULT', [
  String.raw`[\p{P}\$\+<=>\^~\|]+`,
  GPT2_REGEX,
  String.raw`\p{N}+`,
  '[0-9][0-9][0-9]',
]);
const GPT2 = spec('GPT2', [GPT2_REGEX]);
const QWEN2 = spec('QWEN2', [QWEN2_REGEX]);
const FALCON = spec('FALCON', [String.raw`[\p{P}\$\+<=>\^~\|` + '`' + ']+', GPT2_REGEX, '[0-9][0-9][0-9]']);
const STARCODER = spec('STARCODER', [String.raw`\p{N}`, GPT2_REGEX]);
// "[一-龥ࠀ-一가-퟿]+" in llama.cpp, written here with escapes: U+4E00–U+9FA5, U+0800–U+4E00, U+AC00–U+D7FF.
const DEEPSEEK_CODER = spec('DEEPSEEK_CODER', ['[\r\n]', String.raw`\s?\p{L}+`, String.raw`\s?\p{P}+`, '[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+', String.raw`\p{N}`]);

/**
 * `tokenizer.ggml.pre` value → pre-tokenizer, for the values llama.cpp maps to the types above. Not covered (an
 * error if met): types whose regexes hold long literal Unicode classes (deepseek-llm, deepseek-v3, bloom, …), types
 * that need behaviour beyond a regex split (chatglm, tekken, chameleon, kimi-k2, gemma4, …) and those that append
 * a SEP token (roberta-bpe, jina-v1-en, jina-v2-code).
 */
export const PRE_TOKENIZERS: Readonly<Record<string, PreTokenizerSpec>> = {
  default: DEFAULT,
  llama3: LLAMA3,
  'llama-v3': LLAMA3,
  'llama-bpe': LLAMA3,
  falcon3: LLAMA3,
  'falcon-h1': LLAMA3,
  pixtral: LLAMA3,
  'midm-2.0': LLAMA3,
  lfm2: LLAMA3,
  'jina-v5-nano': LLAMA3,
  dbrx: DBRX,
  'smaug-bpe': SMAUG,
  'gpt-2': GPT2,
  'phi-2': GPT2,
  'jina-es': GPT2,
  'jina-de': GPT2,
  gigachat: GPT2,
  'jina-v2-es': GPT2,
  'jina-v2-de': GPT2,
  'a.x-4.0': GPT2,
  mellum: GPT2,
  'modern-bert': GPT2,
  exaone4: GPT2,
  mpt: spec('MPT', [GPT2_REGEX]),
  olmo: spec('OLMO', [GPT2_REGEX]),
  jais: spec('JAIS', [GPT2_REGEX]),
  trillion: spec('TRILLION', [GPT2_REGEX]),
  'granite-docling': spec('GRANITE_DOCLING', [GPT2_REGEX]),
  qwen2: QWEN2,
  'deepseek-r1-qwen': QWEN2,
  kormo: QWEN2,
  f2llmv2: QWEN2,
  megrez: QWEN2,
  stablelm2: spec('STABLELM2', [QWEN2_REGEX]),
  hunyuan: spec('HUNYUAN', [QWEN2_REGEX]),
  'solar-open': spec('SOLAR_OPEN', [QWEN2_REGEX]),
  falcon: FALCON,
  starcoder: STARCODER,
  refact: spec('REFACT', STARCODER.regexes),
  'command-r': spec('COMMAND_R', STARCODER.regexes),
  smollm: spec('SMOLLM', STARCODER.regexes),
  codeshell: spec('CODESHELL', STARCODER.regexes),
  exaone: spec('EXAONE', STARCODER.regexes),
  'minerva-7b': spec('MINERVA', STARCODER.regexes),
  mellum2: spec('MELLUM2', STARCODER.regexes),
  'deepseek-coder': DEEPSEEK_CODER,
};

// ---------------------------------------------------------------------------------------------------------------
// Reading the keys (one door: every failure is a TokenizerError naming the key and the file)
// ---------------------------------------------------------------------------------------------------------------

function read<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof FormatError) throw new TokenizerError(`cannot build the tokenizer: ${err.message}`, { cause: err });
    throw err;
  }
}

function fail(meta: GgufMetadata, key: string, detail: string): never {
  throw new TokenizerError(`${meta.file}: '${key}' ${detail}`);
}

function optionalId(meta: GgufMetadata, key: string, nTokens: number): number | null {
  if (!meta.has(key)) return null;
  const id = read(() => meta.integer(key));
  if (id < 0 || id >= nTokens) fail(meta, key, `is ${id}, outside the vocabulary of ${nTokens} tokens`);
  return id;
}

function optionalBool(meta: GgufMetadata, key: string): boolean | undefined {
  return meta.has(key) ? read(() => meta.boolean(key)) : undefined;
}

type VocabKind = 'gpt2' | 'llama';

function vocabKind(meta: GgufMetadata): VocabKind {
  const model = read(() => meta.string(TOKENIZER_KEYS.model));
  if (model !== 'gpt2' && model !== 'llama') {
    fail(meta, TOKENIZER_KEYS.model, `is "${model}"; supported: "gpt2" (byte-level BPE) and "llama" (SentencePiece BPE)`);
  }
  return model;
}

/**
 * The pre-tokenizer of a `gpt2` vocabulary. A missing `tokenizer.ggml.pre` means llama.cpp's "default" (llama.cpp
 * warns that generation quality degrades; formats §6.1); an unknown value is a TokenizerError.
 */
export function preTokenizerOf(meta: GgufMetadata): { name: string; spec: PreTokenizerSpec } {
  const name = meta.has(TOKENIZER_KEYS.pre) ? read(() => meta.string(TOKENIZER_KEYS.pre)) : 'default';
  const found = Object.hasOwn(PRE_TOKENIZERS, name) ? PRE_TOKENIZERS[name] : undefined;
  if (found === undefined) {
    fail(meta, TOKENIZER_KEYS.pre, `is "${name}", a pre-tokenizer this loader does not know (known: ${Object.keys(PRE_TOKENIZERS).join(', ')})`);
  }
  return { name, spec: found };
}

/** Token strings by id; empty ones renamed `[EMPTY_i]` and duplicates rejected, as llama.cpp does. */
function readTokens(meta: GgufMetadata): string[] {
  const tokens = read(() => meta.strings(TOKENIZER_KEYS.tokens)).map((t, i) => (t === '' ? `[EMPTY_${i}]` : t));
  if (tokens.length === 0) fail(meta, TOKENIZER_KEYS.tokens, 'is empty');
  const seen = new Map<string, number>();
  tokens.forEach((t, i) => {
    const prev = seen.get(t);
    if (prev !== undefined) fail(meta, TOKENIZER_KEYS.tokens, `holds ${JSON.stringify(t)} twice (ids ${prev} and ${i})`);
    seen.set(t, i);
  });
  return tokens;
}

/** Token types by id; all normal when the key is absent (llama.cpp). */
function readTokenTypes(meta: GgufMetadata, n: number): number[] {
  if (!meta.has(TOKENIZER_KEYS.tokenType)) return new Array<number>(n).fill(TOKEN_TYPE.normal);
  const types = read(() => meta.numbers(TOKENIZER_KEYS.tokenType));
  if (types.length < n) fail(meta, TOKENIZER_KEYS.tokenType, `has ${types.length} entries for ${n} tokens`);
  return types;
}

// ---------------------------------------------------------------------------------------------------------------
// Special tokens
// ---------------------------------------------------------------------------------------------------------------

/** Special token ids (null when the vocabulary has none) and whether encode adds BOS / EOS. */
export interface GgufSpecialTokens {
  readonly bos: number | null;
  readonly eos: number | null;
  /** End of turn: `tokenizer.ggml.eot_token_id`, else the first of EOT_TEXTS in the vocabulary. */
  readonly eot: number | null;
  /** End of message (LLaMA-3.1 tool calls): `tokenizer.ggml.eom_token_id`, else `<|eom_id|>`. */
  readonly eom: number | null;
  readonly unk: number | null;
  readonly pad: number | null;
  readonly addBos: boolean;
  readonly addEos: boolean;
  /** Ids that end generation, ascending: every token whose text is in EOG_TEXTS, plus eos, eot and eom. */
  readonly endOfGeneration: readonly number[];
}

/**
 * Token texts llama.cpp takes as end of turn when `eot_token_id` is absent, in our priority order (llama.cpp scans a
 * hash map, so with several present its choice is unspecified; we take the first of this list, so a LLaMA-3
 * vocabulary gets `<|eot_id|>` rather than `<|end_of_text|>`).
 */
export const EOT_TEXTS = ['<|eot_id|>', '<|im_end|>', '<|end|>', '<end_of_turn>', '<|endoftext|>', '<|end_of_text|>', '<EOT>', '_<EOT>', '[EOT]', '<｜end▁of▁sentence｜>', '<end_of_utterance>'] as const;

/** Token texts llama.cpp treats as end of generation (`special_eog_ids`; FIM pad/repo/sep tokens left out). */
export const EOG_TEXTS = [
  '<|eot_id|>', '<|im_end|>', '<|end|>', '<|return|>', '<|call|>', '<|flush|>', '<|calls|>', '<end_of_turn>', '<|endoftext|>', '</s>',
  '<|eom_id|>', '<EOT>', '_<EOT>', '[EOT]', '[EOS]', '<|end_of_text|>', '<end_of_utterance>', '<eos>', '<turn|>', '<|tool_response>',
  '<｜end▁of▁sentence｜>', '[e~[',
] as const;

function specialsFrom(meta: GgufMetadata, kind: VocabKind, tokens: readonly string[]): GgufSpecialTokens {
  const n = tokens.length;
  const idOf = new Map(tokens.map((t, i) => [t, i]));
  // llama.cpp defaults when a key is absent (`load()`): SPM bos 1, eos 2, unk 0; BPE bos = eos = 11 (a Falcon
  // leftover), no unk. A default outside the vocabulary is dropped.
  const inVocab = (id: number | null): number | null => (id !== null && id < n ? id : null);
  const defaults = kind === 'llama' ? { bos: 1, eos: 2, unk: 0 } : { bos: 11, eos: 11, unk: null };
  const pick = (key: string, fallback: number | null): number | null => optionalId(meta, key, n) ?? inVocab(fallback);

  const bos = pick(TOKENIZER_KEYS.bos, defaults.bos);
  const eos = pick(TOKENIZER_KEYS.eos, defaults.eos);
  const unk = pick(TOKENIZER_KEYS.unk, defaults.unk);
  const pad = pick(TOKENIZER_KEYS.pad, null);
  const eot = pick(TOKENIZER_KEYS.eot, null) ?? EOT_TEXTS.map((t) => idOf.get(t)).find((id) => id !== undefined) ?? null;
  const eom = pick(TOKENIZER_KEYS.eom, null) ?? idOf.get('<|eom_id|>') ?? null;

  // add_bos: SPM true; BPE false except for the LLAMA3 pre-tokenizer family; the key overrides either.
  const addBosDefault = kind === 'llama' ? true : preTokenizerOf(meta).spec.addBosDefault;
  const addBos = optionalBool(meta, TOKENIZER_KEYS.addBos) ?? addBosDefault;
  const addEos = optionalBool(meta, TOKENIZER_KEYS.addEos) ?? false;
  if (addBos && bos === null) fail(meta, TOKENIZER_KEYS.addBos, `is true, but '${TOKENIZER_KEYS.bos}' is not set`);
  if (addEos && eos === null) fail(meta, TOKENIZER_KEYS.addEos, `is true, but '${TOKENIZER_KEYS.eos}' is not set`);

  const eog = new Set<number>();
  for (const t of EOG_TEXTS) {
    const id = idOf.get(t);
    if (id !== undefined) eog.add(id);
  }
  for (const id of [eos, eot, eom]) if (id !== null) eog.add(id);
  return { bos, eos, eot, eom, unk, pad, addBos, addEos, endOfGeneration: [...eog].sort((a, b) => a - b) };
}

/** The special tokens of a GGUF vocabulary, with llama.cpp's defaults for absent keys (see GgufSpecialTokens). */
export function specialTokens(meta: GgufMetadata): GgufSpecialTokens {
  return specialsFrom(meta, vocabKind(meta), readTokens(meta));
}

// ---------------------------------------------------------------------------------------------------------------
// tokenizer.json pieces shared by both vocabulary kinds
// ---------------------------------------------------------------------------------------------------------------

/**
 * Control (3) and unknown (2) tokens become special added tokens: matched verbatim in text, dropped by decode with
 * skipSpecialTokens. User-defined tokens (4) are matched verbatim too but are not special, so decode keeps their text
 * (llama.cpp always renders user-defined tokens; transformers' converters add them with special=False).
 */
function addedTokens(tokens: readonly string[], types: readonly number[]): TokenizerJson[] {
  const out: TokenizerJson[] = [];
  tokens.forEach((content, id) => {
    const t = types[id];
    if (t !== TOKEN_TYPE.control && t !== TOKEN_TYPE.unknown && t !== TOKEN_TYPE.userDefined) return;
    out.push({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: t !== TOKEN_TYPE.userDefined });
  });
  return out;
}

/** TemplateProcessing that adds BOS before and EOS after each sequence, as llama.cpp's add_bos / add_eos do. */
function postProcessor(tokens: readonly string[], s: GgufSpecialTokens): TokenizerJson | null {
  if (!s.addBos && !s.addEos) return null;
  // Keyed by token text, which may be "__proto__": a prototype-less object keeps it as an own key.
  const special: Record<string, TokenizerJson> = Object.create(null);
  const piece = (id: number, typeId: number): TokenizerJson => {
    const text = tokens[id];
    special[text] = { id: text, ids: [id], tokens: [text] };
    return { SpecialToken: { id: text, type_id: typeId } };
  };
  const seq = (name: 'A' | 'B', typeId: number): TokenizerJson[] => [
    ...(s.addBos ? [piece(s.bos as number, typeId)] : []),
    { Sequence: { id: name, type_id: typeId } },
    ...(s.addEos ? [piece(s.eos as number, typeId)] : []),
  ];
  return { type: 'TemplateProcessing', single: seq('A', 0), pair: [...seq('A', 0), ...seq('B', 1)], special_tokens: special };
}

/**
 * token → id. Prototype-less, so that a token spelled "__proto__" is an entry like any other (on a plain object the
 * assignment would set the prototype and the token would silently drop out of the vocabulary).
 */
function vocabObject(tokens: readonly string[]): Record<string, number> {
  const vocab: Record<string, number> = Object.create(null);
  tokens.forEach((t, i) => {
    vocab[t] = i;
  });
  return vocab;
}

// ---------------------------------------------------------------------------------------------------------------
// gpt2: byte-level BPE
// ---------------------------------------------------------------------------------------------------------------

/** "left right" → [left, right], splitting at the first space after the first byte (llama.cpp `find(' ', 1)`). */
function splitMerge(meta: GgufMetadata, merge: string, rank: number): [string, string] {
  const at = merge.indexOf(' ', 1);
  if (at < 0) fail(meta, TOKENIZER_KEYS.merges, `entry ${rank} (${JSON.stringify(merge)}) is not "left right"`);
  return [merge.slice(0, at), merge.slice(at + 1)];
}

function byteLevelJson(meta: GgufMetadata, tokens: string[], types: number[], s: GgufSpecialTokens): TokenizerJson {
  const { spec } = preTokenizerOf(meta);
  const merges = read(() => meta.strings(TOKENIZER_KEYS.merges)).map((m, i) => splitMerge(meta, m, i));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens(tokens, types),
    normalizer: null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        ...spec.regexes.map((r) => ({ type: 'Split', pattern: { Regex: r }, behavior: 'Isolated', invert: false })),
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: postProcessor(tokens, s),
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: spec.ignoreMerges,
      vocab: vocabObject(tokens),
      merges,
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// llama: SentencePiece BPE
// ---------------------------------------------------------------------------------------------------------------

/**
 * BPE merges that reproduce SentencePiece BPE (merge the adjacent pair whose joined piece has the highest score):
 * transformers `generate_merges(vocab, vocab_scores)` (src/transformers/convert_slow_tokenizer.py). For each piece in
 * id order, every split into two vocabulary pieces, ordered by (id of left, id of right); then all of them stably
 * sorted by (score of the joined piece, length of left, length of right), all descending. Lengths count code points.
 */
export function sentencePieceMerges(tokens: readonly string[], scores: readonly number[]): [string, string][] {
  const idOf = new Map(tokens.map((t, i) => [t, i]));
  const found: { left: string; right: string; score: number; ll: number; rl: number }[] = [];
  tokens.forEach((piece, id) => {
    const chars = Array.from(piece);
    const local: { left: string; right: string; li: number; ri: number }[] = [];
    for (let k = 1; k < chars.length; k++) {
      const left = chars.slice(0, k).join('');
      const right = chars.slice(k).join('');
      const li = idOf.get(left);
      const ri = idOf.get(right);
      if (li !== undefined && ri !== undefined) local.push({ left, right, li, ri });
    }
    local.sort((a, b) => a.li - b.li || a.ri - b.ri);
    for (const m of local) found.push({ left: m.left, right: m.right, score: scores[id], ll: codePoints(m.left), rl: codePoints(m.right) });
  });
  found.sort((a, b) => b.score - a.score || b.ll - a.ll || b.rl - a.rl);
  return found.map((m) => [m.left, m.right]);
}

function codePoints(s: string): number {
  return Array.from(s).length;
}

function sentencePieceJson(meta: GgufMetadata, tokens: string[], types: number[], s: GgufSpecialTokens): TokenizerJson {
  if (!meta.has(TOKENIZER_KEYS.scores)) fail(meta, TOKENIZER_KEYS.scores, 'is missing; a "llama" (SentencePiece) vocabulary needs its scores');
  const scores = read(() => meta.numbers(TOKENIZER_KEYS.scores));
  if (scores.length < tokens.length) fail(meta, TOKENIZER_KEYS.scores, `has ${scores.length} entries for ${tokens.length} tokens`);
  // llama.cpp: add_space_prefix true for SPM unless the key says otherwise.
  const addSpacePrefix = optionalBool(meta, TOKENIZER_KEYS.addSpacePrefix) ?? true;
  const replaceSpace = { type: 'Replace', pattern: { String: ' ' }, content: '▁' };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens(tokens, types),
    normalizer: { type: 'Sequence', normalizers: addSpacePrefix ? [{ type: 'Prepend', prepend: '▁' }, replaceSpace] : [replaceSpace] },
    pre_tokenizer: null,
    post_processor: postProcessor(tokens, s),
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        ...(addSpacePrefix ? [{ type: 'Strip', content: ' ', start: 1, stop: 0 }] : []),
      ],
    },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: s.unk === null ? null : tokens[s.unk],
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      ignore_merges: false,
      vocab: vocabObject(tokens),
      merges: sentencePieceMerges(tokens, scores),
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------------------------------------------

/** The tokenizer.json document equivalent to the GGUF's `tokenizer.ggml.*` keys. */
export function tokenizerJsonFromGguf(meta: GgufMetadata): TokenizerJson {
  const kind = vocabKind(meta);
  const tokens = readTokens(meta);
  const types = readTokenTypes(meta, tokens.length);
  const s = specialsFrom(meta, kind, tokens);
  return kind === 'gpt2' ? byteLevelJson(meta, tokens, types, s) : sentencePieceJson(meta, tokens, types, s);
}
