/**
 * Tokenizer from a Hugging Face tokenizer.json, through the `tokenizers` package (Rust, native addon). Loaded
 * lazily so that merely importing bitnet-ts never requires the addon.
 */
import { existsSync } from 'node:fs';
import { TokenizerError } from '../errors.js';
import type { DecodeOptions, EncodeOptions, Tokenizer } from './tokenizer.js';

type NativeTokenizer = import('tokenizers').Tokenizer;

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

/** Loads `path` (a tokenizer.json); TokenizerError naming the file when it is missing or unreadable. */
export async function loadHfTokenizer(path: string): Promise<Tokenizer> {
  if (!existsSync(path)) throw new TokenizerError(`${path}: tokenizer file not found`);
  let mod: typeof import('tokenizers');
  try {
    mod = await import('tokenizers');
  } catch (err) {
    throw new TokenizerError(`the 'tokenizers' package could not be loaded (needed for ${path}): ${(err as Error).message}`, { cause: err });
  }
  let native: NativeTokenizer;
  try {
    native = mod.Tokenizer.fromFile(path);
  } catch (err) {
    throw new TokenizerError(`${path}: not a valid tokenizer.json: ${(err as Error).message}`, { cause: err });
  }
  return new HfTokenizer(native, native.getVocabSize(true));
}
