/**
 * A Hugging Face byte-level BPE tokenizer.json (plus tokenizer_config.json) as GGUF `tokenizer.ggml.*` metadata
 * (formats §6.1), the way llama.cpp's converter writes it: tokens by id in byte-level spelling, token types
 * (3 for special added tokens), merges as "left right", BOS/EOS ids, add-BOS flag, pre-tokenizer name, chat template.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../errors.js';
import type { GgufValue } from '../formats/gguf/metadata.js';
import { readJsonFile } from '../formats/json-file.js';
import { gguf } from '../formats/gguf/writer.js';

/** tokenizer.json Split regexes (as Hugging Face writes them) → llama.cpp's pre-tokenizer name. */
const PRE_BY_REGEX: Readonly<Record<string, string>> = {
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+": 'llama-bpe',
  "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+": 'gpt-2',
};

type Json = Record<string, unknown>;

function obj(v: unknown, file: string, field: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new FormatError(file, 'must be an object', { field });
  return v as Json;
}

/** The Split regex of a byte-level pre-tokenizer (a Sequence[Split, ByteLevel] or a ByteLevel with use_regex). */
function preTokenizerName(pre: unknown, file: string): string {
  const p = obj(pre, file, 'pre_tokenizer');
  const parts = p.type === 'Sequence' && Array.isArray(p.pretokenizers) ? (p.pretokenizers as Json[]) : [p];
  for (const part of parts) {
    if (part.type === 'Split') {
      const pattern = obj(part.pattern, file, 'pre_tokenizer.pattern');
      const regex = typeof pattern.Regex === 'string' ? pattern.Regex : '';
      const name = PRE_BY_REGEX[regex];
      if (name === undefined) throw new FormatError(file, `pre-tokenizer regex has no llama.cpp equivalent known here: ${regex.slice(0, 80)}`, { field: 'pre_tokenizer' });
      return name;
    }
    if (part.type === 'ByteLevel' && part.use_regex === true) return 'gpt-2';
  }
  throw new FormatError(file, 'expected a byte-level BPE pre-tokenizer (Split + ByteLevel)', { field: 'pre_tokenizer' });
}

/** GGUF tokenizer metadata for the HF folder `dir`; `bos`/`eos` come from the model config. */
export function tokenizerMetadata(dir: string, bos: number | null, eos: number | null): Map<string, GgufValue> {
  const file = join(dir, 'tokenizer.json');
  const tj = obj(readJsonFile(file), file, '(root)');
  const model = obj(tj.model, file, 'model');
  if (model.type !== 'BPE') throw new FormatError(file, `only byte-level BPE tokenizers convert; model.type is ${String(model.type)}`, { field: 'model.type' });
  const vocab = obj(model.vocab, file, 'model.vocab');
  const added = Array.isArray(tj.added_tokens) ? (tj.added_tokens as Json[]) : [];
  const n = Math.max(...Object.values(vocab).map(Number), ...added.map((t) => Number(t.id))) + 1;
  const tokens: string[] = new Array(n).fill('');
  const types: number[] = new Array(n).fill(1);
  for (const [text, id] of Object.entries(vocab)) tokens[Number(id)] = text;
  for (const t of added) {
    tokens[Number(t.id)] = String(t.content);
    types[Number(t.id)] = t.special === true ? 3 : 4;
  }
  const missing = tokens.findIndex((t, i) => t === '' && types[i] === 1 && !Object.hasOwn(vocab, ''));
  if (missing >= 0) throw new FormatError(file, `token id ${missing} is not in the vocabulary (ids must be contiguous)`, { field: 'model.vocab' });
  const mergesRaw = Array.isArray(model.merges) ? model.merges : [];
  const merges = mergesRaw.map((m) => (Array.isArray(m) ? m.join(' ') : String(m)));

  const meta = new Map<string, GgufValue>([
    ['tokenizer.ggml.model', gguf.string('gpt2')],
    ['tokenizer.ggml.pre', gguf.string(preTokenizerName(tj.pre_tokenizer, file))],
    ['tokenizer.ggml.tokens', gguf.strings(tokens)],
    ['tokenizer.ggml.token_type', gguf.i32s(types)],
    ['tokenizer.ggml.merges', gguf.strings(merges)],
  ]);
  if (bos !== null) meta.set('tokenizer.ggml.bos_token_id', gguf.u32(bos));
  if (eos !== null) meta.set('tokenizer.ggml.eos_token_id', gguf.u32(eos));

  const configPath = join(dir, 'tokenizer_config.json');
  const config = existsSync(configPath) ? obj(JSON.parse(readFileSync(configPath, 'utf8')), configPath, '(root)') : {};
  // The post-processor adding BOS is what the HF tokenizer does; tokenizer_config's flag says the same when present.
  const post = JSON.stringify(tj.post_processor ?? null);
  const addBos = typeof config.add_bos_token === 'boolean' ? config.add_bos_token : bos !== null && post.includes(`"${tokens[bos]}"`);
  meta.set('tokenizer.ggml.add_bos_token', gguf.bool(addBos));
  meta.set('tokenizer.ggml.add_eos_token', gguf.bool(config.add_eos_token === true));
  if (typeof config.chat_template === 'string') meta.set('tokenizer.chat_template', gguf.string(config.chat_template));
  return meta;
}
