/**
 * Builds GgufMetadata in memory, the way a GGUF converter writes the tokenizer keys, for tokenizer tests that
 * need no GGUF file.
 */
import { readFileSync } from 'node:fs';
import { GgufMetadata, type GgufValue, type GgufValueType } from '../../src/formats/gguf/metadata.js';

export type MetaInit = Record<string, string | number | boolean | { array: GgufValueType; items: readonly (string | number)[] }>;

const INTEGER_KEYS = /_token_id$/;

/** Strings → string, booleans → bool, numbers → u32 for `*_token_id` keys (else f32), `{array, items}` → array. */
export function metadata(file: string, init: MetaInit): GgufMetadata {
  const entries = new Map<string, GgufValue>();
  for (const [key, v] of Object.entries(init)) {
    if (typeof v === 'string') entries.set(key, { type: 'string', value: v });
    else if (typeof v === 'boolean') entries.set(key, { type: 'bool', value: v });
    else if (typeof v === 'number') entries.set(key, { type: INTEGER_KEYS.test(key) ? 'u32' : 'f32', value: v });
    else entries.set(key, { type: 'array', value: { elementType: v.array, items: [...v.items] } });
  }
  return new GgufMetadata(file, entries);
}

/**
 * The tokenizer keys llama.cpp's converter writes for a byte-level BPE tokenizer.json (as in
 * golden/llamacpp/README.md §2): tokens in id order, token_type 3 for the added (special) tokens else 1, merges as
 * "left right", and the given BOS / EOS ids.
 */
export function byteLevelInitFromTokenizerJson(path: string, opts: { bos: number; eos: number; pre?: string }): MetaInit {
  const json = JSON.parse(readFileSync(path, 'utf8')) as {
    added_tokens: { id: number; special: boolean }[];
    model: { vocab: Record<string, number>; merges: (string | [string, string])[] };
  };
  const tokens: string[] = [];
  for (const [t, id] of Object.entries(json.model.vocab)) tokens[id] = t;
  const control = new Set(json.added_tokens.filter((t) => t.special).map((t) => t.id));
  return {
    'tokenizer.ggml.model': 'gpt2',
    'tokenizer.ggml.pre': opts.pre ?? 'llama-bpe',
    'tokenizer.ggml.tokens': { array: 'string', items: tokens },
    'tokenizer.ggml.token_type': { array: 'i32', items: tokens.map((_, i) => (control.has(i) ? 3 : 1)) },
    'tokenizer.ggml.merges': { array: 'string', items: json.model.merges.map((m) => (typeof m === 'string' ? m : `${m[0]} ${m[1]}`)) },
    'tokenizer.ggml.bos_token_id': opts.bos,
    'tokenizer.ggml.eos_token_id': opts.eos,
    'tokenizer.ggml.add_bos_token': true,
  };
}
