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
  constructor(private readonly js: JsTokenizer, readonly vocabSize: number) {}

  async encode(text: string, options: EncodeOptions = {}): Promise<number[]> {
    return this.js.encode(text, { add_special_tokens: options.addSpecialTokens ?? true }).ids;
  }

  async decode(ids: readonly number[], options: DecodeOptions = {}): Promise<string> {
    // The library rejects an empty list; the native tokenizer decodes it to ''.
    if (ids.length === 0) return '';
    return this.js.decode([...ids], { skip_special_tokens: options.skipSpecialTokens ?? true, clean_up_tokenization_spaces: false });
  }

  tokenToId(token: string): number | null {
    return this.js.token_to_id(token) ?? null;
  }

  idToToken(id: number): string | null {
    return this.js.id_to_token(id) ?? null;
  }
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
    // The second argument is transformers' tokenizer_config.json; it is left empty so that only tokenizer.json
    // decides, as in the Rust library (its options, such as lower-casing, are not tokenizer.json's).
    js = new JsTokenizer(doc, {});
  } catch (err) {
    throw new TokenizerError(`${source}: not a valid tokenizer.json: ${(err as Error).message}`, { cause: err });
  }
  // The vocabulary with added tokens, as the native getVocabSize(true).
  return new PureJsTokenizer(js, js.get_vocab(true).size);
}

/** The tokenizer.json of a model folder (on disk or in memory) as a pure-JS Tokenizer. */
export async function loadJsTokenizer(folder: ModelFolder): Promise<Tokenizer> {
  const name = 'tokenizer.json';
  const path = folder.pathOf(name);
  if (!folder.has(name)) throw new TokenizerError(`${path}: tokenizer file not found`);
  return jsTokenizerFromJson(readFolderText(folder, name), path);
}
