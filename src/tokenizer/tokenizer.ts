/**
 * The Tokenizer interface the engine uses. Implementations: the `tokenizers` package (Node, native) in
 * hf-tokenizer.ts; `@huggingface/tokenizers` (pure JavaScript, for browsers) in js-tokenizer.ts. Async because
 * native and WASM tokenizers are.
 */

/** A tokenizer.json document (the `tokenizers` serialisation format), as a plain object. */
export type TokenizerJson = Record<string, unknown>;

export interface EncodeOptions {
  /** Add the tokenizer's special tokens (BOS for the shipped model), as HF `add_special_tokens`. Default true. */
  readonly addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  /** Leave special tokens (BOS, EOS, …) out of the text. Default true. */
  readonly skipSpecialTokens?: boolean;
}

export interface Tokenizer {
  readonly vocabSize: number;
  encode(text: string, options?: EncodeOptions): Promise<number[]>;
  decode(ids: readonly number[], options?: DecodeOptions): Promise<string>;
  tokenToId(token: string): number | null;
  idToToken(id: number): string | null;
}
