/**
 * Tokenizer from a Hugging Face tokenizer.json, through the `tokenizers` package (Rust, native addon). Loaded
 * lazily so that merely importing bitnet-ts never requires the addon. One adapter class serves both a
 * tokenizer.json on disk (`loadHfTokenizer`) and a document built in memory (`tokenizerFromJson`; `loadGgufTokenizer`
 * runs the one gguf-tokenizer.ts builds from GGUF metadata).
 */
import { existsSync, readFileSync } from 'node:fs';
import { TokenizerError } from '../errors.js';
import type { GgufMetadata } from '../formats/gguf/metadata.js';
import { tokenizerJsonFromGguf } from './gguf-tokenizer.js';
import { jsTokenizerFromJson } from './js-tokenizer.js';
import type { DecodeOptions, EncodeOptions, Tokenizer, TokenizerJson } from './tokenizer.js';

export type { TokenizerJson } from './tokenizer.js';

type NativeTokenizer = import('tokenizers').Tokenizer;
type TokenizersModule = typeof import('tokenizers');

class HfTokenizer implements Tokenizer {
  constructor(private readonly native: NativeTokenizer, readonly vocabSize: number, private readonly source: string) {}

  // A tokenizer.json can load and still fail on some input (a Unigram model without unk_id meeting an unknown
  // character): the addon's bare Error becomes a TokenizerError naming the file.
  async encode(text: string, options: EncodeOptions = {}): Promise<number[]> {
    try {
      const enc = await this.native.encode(text, null, { addSpecialTokens: options.addSpecialTokens ?? true });
      return enc.getIds();
    } catch (err) {
      throw new TokenizerError(`${this.source}: encode failed: ${(err as Error).message}`, { cause: err });
    }
  }

  async decode(ids: readonly number[], options: DecodeOptions = {}): Promise<string> {
    try {
      return await this.native.decode([...ids], options.skipSpecialTokens ?? true);
    } catch (err) {
      throw new TokenizerError(`${this.source}: decode failed: ${(err as Error).message}`, { cause: err });
    }
  }

  tokenToId(token: string): number | null {
    return this.native.tokenToId(token) ?? null;
  }

  idToToken(id: number): string | null {
    return this.native.idToToken(id) ?? null;
  }
}

async function loadModule(source: string): Promise<TokenizersModule> {
  try {
    return await import('tokenizers');
  } catch (err) {
    throw new TokenizerError(`the 'tokenizers' package could not be loaded (needed for ${source}): ${(err as Error).message}`, { cause: err });
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Why the `tokenizers` addon would panic on this post-processor (or a Sequence holding one), or null. The addon
 * picks the post-processor's kind by its shape (an untagged enum), not by `type`, so any object with a `single` or
 * `pair` template is checked as a TemplateProcessing, whatever its `type` says.
 */
function templatePanic(p: unknown): string | null {
  if (!isObject(p)) return null;
  if (Array.isArray(p.processors)) {
    for (const q of p.processors) {
      const why = templatePanic(q);
      if (why !== null) return why;
    }
  }
  if (!Object.hasOwn(p, 'single') && !Object.hasOwn(p, 'pair')) return null;
  const special = isObject(p.special_tokens) ? p.special_tokens : {};
  for (const [name, list, sequences] of [['single', p.single, ['A']], ['pair', p.pair, ['A', 'B']]] as const) {
    if (!Array.isArray(list)) continue;
    for (const piece of list) {
      if (!isObject(piece)) continue;
      const token = piece.SpecialToken;
      if (isObject(token) && !(typeof token.id === 'string' && Object.hasOwn(special, token.id))) {
        return `post_processor.${name} names special token ${JSON.stringify(token.id)}, which its special_tokens does not define`;
      }
      const seq = piece.Sequence;
      if (isObject(seq) && !(sequences as readonly unknown[]).includes(seq.id)) return `post_processor.${name} names sequence ${JSON.stringify(seq.id)}`;
    }
  }
  return null;
}

/** Why the addon would panic on this BPE model's continuing_subword_prefix (it slices the prefix off each merge's right part). */
function prefixPanic(model: unknown): string | null {
  if (!isObject(model) || typeof model.continuing_subword_prefix !== 'string' || model.continuing_subword_prefix === '' || !Array.isArray(model.merges)) return null;
  const enc = new TextEncoder();
  const n = enc.encode(model.continuing_subword_prefix).length;
  for (const m of model.merges) {
    const right: unknown = typeof m === 'string' ? m.split(' ')[1] : Array.isArray(m) ? m[1] : undefined;
    if (typeof right !== 'string') continue;
    const b = enc.encode(right);
    if (b.length < n || (b.length > n && (b[n] & 0xc0) === 0x80)) return `model.merges holds ${JSON.stringify(right)}, shorter than continuing_subword_prefix ${JSON.stringify(model.continuing_subword_prefix)}`;
  }
  return null;
}

/**
 * The tokenizer.json text handed to the addon. `truncation` and `padding` are cleared: the engine never wants either
 * (a prompt longer than the context is an error, never silently cut to the file's max_length), and odd values of
 * both make `tokenizers` 0.23 panic. Documents on which the addon is known to panic are refused with a
 * TokenizerError instead: a Rust panic inside the addon aborts the whole Node process (found by fuzzing,
 * docs/fuzzing.md). Anything that is not a JSON object goes through as written, for the addon to refuse.
 */
function forNative(json: TokenizerJson | string, source: string, invalid: string): string {
  let doc: unknown = json;
  if (typeof json === 'string') {
    try {
      doc = JSON.parse(json);
    } catch {
      return json;
    }
  }
  if (!isObject(doc)) {
    if (typeof json === 'string') return json;
    throw new TokenizerError(`${source}: ${invalid}: not a JSON object`);
  }
  const why = templatePanic(doc.post_processor) ?? prefixPanic(doc.model);
  if (why !== null) throw new TokenizerError(`${source}: ${invalid}: ${why}`);
  try {
    return JSON.stringify({ ...doc, model: withCompactMerges(doc.model), truncation: null, padding: null });
  } catch (err) {
    throw new TokenizerError(`${source}: ${invalid}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * A BPE model with its merges as "left right" strings where no part holds a space (byte-level and SentencePiece
 * vocabularies never do): the same merge table to the addon, but `tokenizers` 0.23 holds ~50 MB more memory after
 * reading 128k merges as [left, right] pairs than as strings (measured on a 128,256-token vocabulary), and keeps it
 * for the life of the process. Anything else is passed on unchanged.
 */
function withCompactMerges(model: unknown): unknown {
  if (!isObject(model) || model.type !== 'BPE' || !Array.isArray(model.merges)) return model;
  const pairs = model.merges as unknown[];
  const compact = (m: unknown): m is [string, string] => Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string' && !m[0].includes(' ') && !m[1].includes(' ') && m[0] !== '' && m[1] !== '';
  if (!pairs.every(compact)) return model;
  return { ...model, merges: pairs.map((m) => `${m[0]} ${m[1]}`) };
}

const typeOf = (c: unknown): unknown => (isObject(c) ? c.type : c);
const partsOf = (c: unknown, key: string): unknown[] | null => (isObject(c) && Array.isArray(c[key]) ? (c[key] as unknown[]) : null);

/**
 * Why this document's components are not the byte-level BPE shapes the native addon is trusted with, or null. Those
 * are what BitNet checkpoints ship (microsoft/bitnet-b1.58-2B-4T, the shipped model) and what this package builds from
 * GGUF metadata, and what the fuzzing ran the addon on (docs/fuzzing.md). Outside them the addon panics on some
 * documents (a `Prepend` with an empty string, malformed `Precompiled` maps, odd WordPiece / Unigram vocabularies),
 * and a panic aborts the whole process; such documents are loaded by the pure-JS tokenizer instead, which reports
 * every failure as a TokenizerError. The two agree wherever both load (test/tokenizer/js-tokenizer.test.ts).
 */
function outsideNativeShapes(doc: Record<string, unknown>): string | null {
  const model = typeOf(doc.model);
  if (model !== 'BPE') return `model ${String(model)}`;
  if (doc.normalizer !== null && doc.normalizer !== undefined) return `normalizer ${String(typeOf(doc.normalizer))}`;
  const pre = doc.pre_tokenizer;
  const preParts = typeOf(pre) === 'Sequence' ? partsOf(pre, 'pretokenizers') : pre === null || pre === undefined ? [] : [pre];
  if (preParts === null || preParts.some((p) => typeOf(p) !== 'Split' && typeOf(p) !== 'ByteLevel')) return 'pre_tokenizer other than Split / ByteLevel';
  if (doc.decoder !== null && doc.decoder !== undefined && typeOf(doc.decoder) !== 'ByteLevel') return `decoder ${String(typeOf(doc.decoder))}`;
  const post = doc.post_processor;
  const postParts = typeOf(post) === 'Sequence' ? partsOf(post, 'processors') : post === null || post === undefined ? [] : [post];
  if (postParts === null || postParts.some((p) => typeOf(p) !== 'ByteLevel' && typeOf(p) !== 'TemplateProcessing')) return 'post_processor other than ByteLevel / TemplateProcessing';
  return null;
}

/**
 * A tokenizer.json document (object or text) as a native tokenizer, or as the pure-JS one when its components are
 * outside the shapes the addon is trusted with; TokenizerError naming `source` and saying `invalid` when it is not
 * valid.
 */
async function nativeTokenizer(json: TokenizerJson | string, source: string, invalid: string): Promise<Tokenizer> {
  let doc: unknown = json;
  if (typeof json === 'string') {
    try {
      doc = JSON.parse(json);
    } catch {
      doc = null; // the addon refuses it below with its own message
    }
  }
  if (isObject(doc) && outsideNativeShapes(doc) !== null) return jsTokenizerFromJson({ ...doc, truncation: null, padding: null } as TokenizerJson, source);
  const text = forNative(json, source, invalid);
  const mod = await loadModule(source);
  let native: NativeTokenizer;
  try {
    native = mod.Tokenizer.fromString(text);
  } catch (err) {
    throw new TokenizerError(`${source}: ${invalid}: ${(err as Error).message}`, { cause: err });
  }
  return new HfTokenizer(native, native.getVocabSize(true), source);
}

/** Loads `path` (a tokenizer.json); TokenizerError naming the file when it is missing or unreadable. */
export async function loadHfTokenizer(path: string): Promise<Tokenizer> {
  if (!existsSync(path)) throw new TokenizerError(`${path}: tokenizer file not found`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new TokenizerError(`${path}: cannot be read: ${(err as Error).message}`, { cause: err });
  }
  return nativeTokenizer(text, path, 'not a valid tokenizer.json');
}

/**
 * Loads a tokenizer.json document held in memory (an object, or its JSON text). `source` names where it came
 * from in errors (e.g. "model.gguf (tokenizer.ggml.*)").
 */
export async function tokenizerFromJson(json: TokenizerJson | string, source: string): Promise<Tokenizer> {
  return nativeTokenizer(json, source, 'the tokenizer built from it is not valid');
}

/** A Tokenizer for the vocabulary in a GGUF's metadata (`tokenizers` package; Node only). */
export async function loadGgufTokenizer(meta: GgufMetadata): Promise<Tokenizer> {
  return tokenizerFromJson(tokenizerJsonFromGguf(meta), `${meta.file} (tokenizer.ggml.*)`);
}
