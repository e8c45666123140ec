/**
 * Incremental detokenization that never emits half a UTF-8 character and never takes text back.
 *
 * Byte-level BPE tokens can split a character's bytes; decoding such a prefix yields U+FFFD. So each step decodes
 * a short window of tokens twice, with and without the newest ones, and emits the difference only when it does
 * not end in U+FFFD (text-generation-inference's method). The window starts a few tokens back so that decoders
 * which treat the first token specially (SentencePiece's leading space) see context.
 */
import type { Tokenizer } from '../tokenizer/tokenizer.js';

const REPLACEMENT = '\uFFFD';
const CONTEXT_TOKENS = 5;

export class IncrementalDetokenizer {
  private readonly ids: number[];
  private prefixOffset: number;
  private readOffset: number;

  /** `contextIds`: the prompt's last tokens, decoded only as context for the first generated ones. */
  constructor(private readonly tokenizer: Tokenizer, contextIds: readonly number[] = []) {
    this.ids = contextIds.slice(-CONTEXT_TOKENS);
    this.prefixOffset = 0;
    this.readOffset = this.ids.length;
  }

  /** Adds one token; returns the text that is now final (possibly ''). */
  async push(id: number): Promise<string> {
    this.ids.push(id);
    return this.emit(false);
  }

  /** Returns whatever is still held back (at the end of generation), even if it ends in U+FFFD. */
  async flush(): Promise<string> {
    return this.emit(true);
  }

  private async emit(final: boolean): Promise<string> {
    if (this.readOffset >= this.ids.length) return '';
    // Both at once: the tokenizers addon decodes on its thread pool, so this is one round trip a token, not two.
    const [before, after] = await Promise.all([this.tokenizer.decode(this.ids.slice(this.prefixOffset, this.readOffset)), this.tokenizer.decode(this.ids.slice(this.prefixOffset))]);
    if (after.length <= before.length || (!final && after.endsWith(REPLACEMENT))) return '';
    // Decoders append to what they already produced; if one ever rewrote the prefix we emit only what is new.
    const text = after.startsWith(before) ? after.slice(before.length) : after.slice(commonPrefix(before, after));
    this.prefixOffset = this.readOffset;
    this.readOffset = this.ids.length;
    return text;
  }
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}
