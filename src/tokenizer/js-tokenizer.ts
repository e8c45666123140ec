/**
 * Tokenizer from a Hugging Face tokenizer.json in pure JavaScript, through `@huggingface/tokenizers` (the tokenizer
 * of transformers.js), so that it runs in a browser. Node uses the native `tokenizers` addon (hf-tokenizer.ts); this
 * adapter is built to give the same ids and text: it reads tokenizer.json alone, as the Rust library does, and
 * turns off the transformers-only decode step (`clean_up_tokenization_spaces`) that the Rust library does not have.
 * test/tokenizer/js-tokenizer.test.ts measures the agreement on the shipped model's tokenizer.
 */
import { Tokenizer as JsTokenizer } from '@huggingface/tokenizers';
import { TokenizerError } from '../errors.js';
import { readFolderText, type ModelFolder } from '../formats/model-folder.js';
import type { DecodeOptions, EncodeOptions, Tokenizer, TokenizerJson } from './tokenizer.js';

class PureJsTokenizer implements Tokenizer {
  constructor(private readonly js: JsTokenizer, readonly vocabSize: number, private readonly source: string) {}

  // The library accepts some malformed documents and fails only when used (a TypeError from a post-processor
  // piece that is null): such failures become a TokenizerError naming the file.
  async encode(text: string, options: EncodeOptions = {}): Promise<number[]> {
    try {
      return this.js.encode(text, { add_special_tokens: options.addSpecialTokens ?? true }).ids;
    } catch (err) {
      throw new TokenizerError(`${this.source}: encode failed: ${(err as Error).message}`, { cause: err });
    }
  }

  async decode(ids: readonly number[], options: DecodeOptions = {}): Promise<string> {
    // The library rejects an empty list; the native tokenizer decodes it to ''.
    if (ids.length === 0) return '';
    try {
      return this.js.decode([...ids], { skip_special_tokens: options.skipSpecialTokens ?? true, clean_up_tokenization_spaces: false });
    } catch (err) {
      throw new TokenizerError(`${this.source}: decode failed: ${(err as Error).message}`, { cause: err });
    }
  }

  tokenToId(token: string): number | null {
    return this.js.token_to_id(token) ?? null;
  }

  idToToken(id: number): string | null {
    return this.js.id_to_token(id) ?? null;
  }
}

/**
 * An id that no table the document describes could hold, or null. The library keeps tokens in an array indexed by
 * id and walks it whole to count the vocabulary, so one id of 2^31 in a 4,000-token file costs minutes: ids must be
 * integers below 8 × the entries the document lists (vocabulary plus added tokens) + 1024, room for any gaps.
 */
function hugeId(doc: unknown): string | null {
  if (typeof doc !== 'object' || doc === null) return null;
  const { model, added_tokens: added } = doc as { model?: unknown; added_tokens?: unknown };
  const vocab = typeof model === 'object' && model !== null ? (model as { vocab?: unknown }).vocab : undefined;
  const ids: [string, unknown][] = [];
  if (typeof vocab === 'object' && vocab !== null && !Array.isArray(vocab)) for (const [token, id] of Object.entries(vocab)) ids.push([`model.vocab[${JSON.stringify(token)}]`, id]);
  if (Array.isArray(added)) added.forEach((t, i) => ids.push([`added_tokens[${i}].id`, typeof t === 'object' && t !== null ? (t as { id?: unknown }).id : undefined]));
  // A Unigram vocabulary is a list: its ids are its positions, but they count as entries.
  const entries = ids.length + (Array.isArray(vocab) ? vocab.length : 0);
  const limit = 8 * entries + 1024;
  for (const [where, id] of ids) {
    if (typeof id === 'number' && !(Number.isSafeInteger(id) && id >= 0 && id < limit)) return `${where} is ${id}; ids must be integers in [0, ${limit}) for a document of ${entries} entries`;
  }
  return null;
}

/**
 * A tokenizer.json document (an object, or its JSON text) as a Tokenizer that runs anywhere JavaScript does.
 * `source` names where it came from in errors (a path or a URL).
 */
export function jsTokenizerFromJson(json: TokenizerJson | string, source: string): Tokenizer {
  let doc: TokenizerJson;
  let js: JsTokenizer;
  try {
    doc = typeof json === 'string' ? (JSON.parse(json) as TokenizerJson) : json;
    const why = hugeId(doc);
    if (why !== null) throw new Error(why);
    // The second argument is transformers' tokenizer_config.json; it is left empty so that only tokenizer.json
    // decides, as in the Rust library (its options, such as lower-casing, are not tokenizer.json's).
    js = new JsTokenizer(doc, {});
  } catch (err) {
    throw new TokenizerError(`${source}: not a valid tokenizer.json: ${(err as Error).message}`, { cause: err });
  }
  // The vocabulary with added tokens, as the native getVocabSize(true).
  let vocabSize: number;
  try {
    vocabSize = js.get_vocab(true).size;
  } catch (err) {
    throw new TokenizerError(`${source}: not a valid tokenizer.json: ${(err as Error).message}`, { cause: err });
  }
  return new PureJsTokenizer(js, vocabSize, source);
}

/** The tokenizer.json of a model folder (on disk or in memory) as a pure-JS Tokenizer. */
export async function loadJsTokenizer(folder: ModelFolder): Promise<Tokenizer> {
  const name = 'tokenizer.json';
  const path = folder.pathOf(name);
  if (!folder.has(name)) throw new TokenizerError(`${path}: tokenizer file not found`);
  return jsTokenizerFromJson(readFolderText(folder, name), path);
}
