/**
 * Tokenizer from a Hugging Face tokenizer.json, through the `tokenizers` package (Rust, native addon). Loaded
 * lazily so that merely importing bitnet-ts never requires the addon. One adapter class serves both a
 * tokenizer.json on disk (`loadHfTokenizer`) and a document built in memory (`tokenizerFromJson`; `loadGgufTokenizer`
 * runs the one gguf-tokenizer.ts builds from GGUF metadata).
 */
import { existsSync } from 'node:fs';
import { TokenizerError } from '../errors.js';
import type { GgufMetadata } from '../formats/gguf/metadata.js';
import { tokenizerJsonFromGguf } from './gguf-tokenizer.js';
import type { DecodeOptions, EncodeOptions, Tokenizer, TokenizerJson } from './tokenizer.js';

export type { TokenizerJson } from './tokenizer.js';

type NativeTokenizer = import('tokenizers').Tokenizer;
type TokenizersModule = typeof import('tokenizers');

class HfTokenizer implements Tokenizer {
  constructor(private readonly native: NativeTokenizer, readonly vocabSize: number) {}

  async encode(text: string, options: EncodeOptions = {}): Promise<number[]> {
    const enc = await this.native.encode(text, null, { addSpecialTokens: options.addSpecialTokens ?? true });
    return enc.getIds();
  }

  async decode(ids: readonly number[], options: DecodeOptions = {}): Promise<string> {
    return this.native.decode([...ids], options.skipSpecialTokens ?? true);
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

/** Loads `path` (a tokenizer.json); TokenizerError naming the file when it is missing or unreadable. */
export async function loadHfTokenizer(path: string): Promise<Tokenizer> {
  if (!existsSync(path)) throw new TokenizerError(`${path}: tokenizer file not found`);
  const mod = await loadModule(path);
  let native: NativeTokenizer;
  try {
    native = mod.Tokenizer.fromFile(path);
  } catch (err) {
    throw new TokenizerError(`${path}: not a valid tokenizer.json: ${(err as Error).message}`, { cause: err });
  }
  return new HfTokenizer(native, native.getVocabSize(true));
}

/**
 * Loads a tokenizer.json document held in memory (an object, or its JSON text). `source` names where it came
 * from in errors (e.g. "model.gguf (tokenizer.ggml.*)").
 */
export async function tokenizerFromJson(json: TokenizerJson | string, source: string): Promise<Tokenizer> {
  const mod = await loadModule(source);
  let native: NativeTokenizer;
  try {
    native = mod.Tokenizer.fromString(typeof json === 'string' ? json : JSON.stringify(json));
  } catch (err) {
    throw new TokenizerError(`${source}: the tokenizer built from it is not valid: ${(err as Error).message}`, { cause: err });
  }
  return new HfTokenizer(native, native.getVocabSize(true));
}

/** A Tokenizer for the vocabulary in a GGUF's metadata (`tokenizers` package; Node only). */
export async function loadGgufTokenizer(meta: GgufMetadata): Promise<Tokenizer> {
  return tokenizerFromJson(tokenizerJsonFromGguf(meta), `${meta.file} (tokenizer.ggml.*)`);
}
