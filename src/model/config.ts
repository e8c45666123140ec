/**
 * The normalised model configuration, and the one function that builds it from a Hugging Face config.json.
 * Every key is read through `readKey`, whose error names the key and the file; optional keys carry their
 * default (and the formats section that states it) at the read, so every default lives in one place.
 */
import { ConfigError } from '../errors.js';

export type FfnActivation = 'relu2' | 'silu';

export interface ModelConfig {
  /** Where the config came from (a path), for error messages. */
  readonly source: string;
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly ropeTheta: number;
  readonly rmsNormEps: number;
  /** Largest number of positions the model accepts (prompt + generated). */
  readonly contextLength: number;
  readonly activation: FfnActivation;
  readonly tieWordEmbeddings: boolean;
  readonly bosTokenId: number | null;
  /** Every id that ends generation. */
  readonly eosTokenIds: readonly number[];
}

/** How a checkpoint's `weight_scale` relates to the ternary weights (formats §2.8). */
export type WeightScaleMode = 'multiply' | 'divide';

export interface HfConfig {
  readonly model: ModelConfig;
  readonly weightScaleMode: WeightScaleMode;
}

type Kind = 'integer' | 'number' | 'string' | 'boolean' | 'object';

/**
 * The largest size or count a config may give (layers, heads, widths, vocabulary, context): llama.cpp reads these as
 * uint32. Beyond it a hostile file would reach JS limits (an array of 2^40 layers) instead of a ConfigError.
 */
export const MAX_COUNT = 2 ** 32 - 1;

/**
 * A config value as an error message quotes it: its JSON, cut to 80 characters. Never throws: JSON.stringify
 * overflows the stack on deeply nested values (`[[[…]]]`, which JSON.parse accepts), and a RangeError from building
 * a message would escape instead of the ConfigError.
 */
function quote(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = Array.isArray(v) ? '[…]' : '{…}';
  }
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}

function readKey<T>(raw: Record<string, unknown>, key: string, kind: Kind, source: string, fallback?: T): T {
  const v = Object.hasOwn(raw, key) ? raw[key] : undefined;
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw new ConfigError(key, source, 'is missing');
  }
  const ok =
    kind === 'integer' ? Number.isSafeInteger(v) :
    kind === 'number' ? typeof v === 'number' && Number.isFinite(v) :
    kind === 'object' ? typeof v === 'object' && !Array.isArray(v) :
    typeof v === kind;
  if (!ok) throw new ConfigError(key, source, `must be ${kind === 'integer' ? 'an' : 'a'} ${kind}, got ${quote(v)}`);
  return v as T;
}

function positive(value: number, key: string, source: string): number {
  if (!(value > 0)) throw new ConfigError(key, source, `must be positive, got ${value}`);
  return value;
}

/** A positive integer size or count, at most MAX_COUNT. */
function count(value: number, key: string, source: string): number {
  if (!(value > 0 && value <= MAX_COUNT)) throw new ConfigError(key, source, `must be an integer in [1, ${MAX_COUNT}], got ${value}`);
  return value;
}

function tokenIds(raw: Record<string, unknown>, key: string, source: string, fallback: number, vocabSize: number): number[] {
  const v = Object.hasOwn(raw, key) ? raw[key] : fallback;
  if (v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  if (!list.every((x) => Number.isSafeInteger(x) && x >= 0 && x < vocabSize)) {
    throw new ConfigError(key, source, `must be a token id below vocab_size (${vocabSize}) or a list of them, got ${quote(v)}`);
  }
  return list as number[];
}

/** rope_theta, or (newer transformers) rope_parameters.rope_theta; scaled RoPE variants are refused, not ignored. */
function readRopeTheta(r: Record<string, unknown>, source: string): number {
  const params = readKey<Record<string, unknown>>(r, 'rope_parameters', 'object', source, {});
  const scaling = readKey<Record<string, unknown>>(r, 'rope_scaling', 'object', source, {});
  for (const [key, obj] of [['rope_parameters', params], ['rope_scaling', scaling]] as const) {
    const type = readKey<string>(obj, 'rope_type', 'string', `${source} ${key}`, readKey<string>(obj, 'type', 'string', `${source} ${key}`, 'default'));
    if (type !== 'default') throw new ConfigError(`${key}.rope_type`, source, `is '${type}'; only unscaled RoPE is supported`);
  }
  return readKey<number>(params, 'rope_theta', 'number', `${source} rope_parameters`, readKey<number>(r, 'rope_theta', 'number', source, 500000));
}

/** Builds the ModelConfig of a `model_type: "bitnet"` config.json (BitNetForCausalLM). */
export function configFromHf(raw: unknown, source: string): HfConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError('(root)', source, 'must be a JSON object');
  const r = raw as Record<string, unknown>;
  const modelType = readKey<string>(r, 'model_type', 'string', source);
  if (modelType !== 'bitnet') throw new ConfigError('model_type', source, `is '${modelType}'; only 'bitnet' (BitNetForCausalLM) is supported`);

  const hiddenSize = count(readKey<number>(r, 'hidden_size', 'integer', source), 'hidden_size', source);
  const numHeads = count(readKey<number>(r, 'num_attention_heads', 'integer', source), 'num_attention_heads', source);
  // formats §5: head_count_kv defaults to head_count.
  const numKvHeads = count(readKey<number>(r, 'num_key_value_heads', 'integer', source, numHeads), 'num_key_value_heads', source);
  if (numHeads % numKvHeads !== 0) throw new ConfigError('num_key_value_heads', source, `(${numKvHeads}) must divide num_attention_heads (${numHeads})`);
  const headDim = count(readKey<number>(r, 'head_dim', 'integer', source, Math.floor(hiddenSize / numHeads)), 'head_dim', source);
  if (headDim % 2 !== 0) throw new ConfigError('head_dim', source, `must be even for RoPE, got ${headDim}`);
  // Defaults below are BitNetConfig's (transformers): relu2, theta 500000, eps 1e-5, 2048 positions, untied.
  // 'silu' is the 1bitLLM family's gated FFN (formats §4.1).
  const act = readKey<string>(r, 'hidden_act', 'string', source, 'relu2');
  if (act !== 'relu2' && act !== 'silu') throw new ConfigError('hidden_act', source, `is '${act}'; supported: relu2, silu`);

  const quant = readKey<Record<string, unknown>>(r, 'quantization_config', 'object', source, {});
  const mode = readKey<string>(quant, 'quantization_mode', 'string', `${source} quantization_config`, 'offline');
  if (mode !== 'offline') {
    throw new ConfigError('quantization_config.quantization_mode', source, `is '${mode}'; only offline-packed ternary checkpoints are supported`);
  }
  // formats §2.8: the HF config default class is 'bitlinear', whose weight_scale divides.
  const linearClass = readKey<string>(quant, 'linear_class', 'string', `${source} quantization_config`, 'bitlinear');
  if (linearClass !== 'autobitlinear' && linearClass !== 'bitlinear') {
    throw new ConfigError('quantization_config.linear_class', source, `is '${linearClass}'; supported: autobitlinear, bitlinear`);
  }

  const vocabSize = count(readKey<number>(r, 'vocab_size', 'integer', source), 'vocab_size', source);
  const model: ModelConfig = {
    source,
    vocabSize,
    hiddenSize,
    intermediateSize: count(readKey<number>(r, 'intermediate_size', 'integer', source), 'intermediate_size', source),
    numLayers: count(readKey<number>(r, 'num_hidden_layers', 'integer', source), 'num_hidden_layers', source),
    numHeads,
    numKvHeads,
    headDim,
    ropeTheta: positive(readRopeTheta(r, source), 'rope_theta', source),
    rmsNormEps: positive(readKey<number>(r, 'rms_norm_eps', 'number', source, 1e-5), 'rms_norm_eps', source),
    contextLength: count(readKey<number>(r, 'max_position_embeddings', 'integer', source, 2048), 'max_position_embeddings', source),
    activation: act,
    tieWordEmbeddings: readKey<boolean>(r, 'tie_word_embeddings', 'boolean', source, false),
    // BitNetConfig's defaults are the LLaMA-3 ids 128000 / 128001 (formats §4.1).
    bosTokenId: tokenIds(r, 'bos_token_id', source, 128000, vocabSize)[0] ?? null,
    eosTokenIds: tokenIds(r, 'eos_token_id', source, 128001, vocabSize),
  };
  return { model, weightScaleMode: linearClass === 'autobitlinear' ? 'multiply' : 'divide' };
}

/** GGUF architectures this engine runs (formats §5). */
export const GGUF_ARCHITECTURES = ['bitnet', 'bitnet-b1.58', 'bitnet-25'] as const;

/** The metadata accessors configFromGguf needs (GgufMetadata provides them); keeps this file free of the reader. */
export interface GgufKeys {
  readonly file: string;
  has(key: string): boolean;
  integer(key: string, fallback?: number): number;
  number(key: string, fallback?: number): number;
  string(key: string, fallback?: string): string;
  strings(key: string): string[];
}

/**
 * Builds the ModelConfig of a BitNet GGUF from its `ARCH.*` keys (formats §5). `vocab` is the token count when
 * the file has no `ARCH.vocab_size`; `tied` says whether the file lacks `output.weight`.
 */
export function configFromGguf(meta: GgufKeys, vocab: number, tied: boolean): ModelConfig {
  const source = meta.file;
  const arch = meta.string('general.architecture');
  if (!(GGUF_ARCHITECTURES as readonly string[]).includes(arch)) {
    throw new ConfigError('general.architecture', source, `is '${arch}'; supported: ${GGUF_ARCHITECTURES.join(', ')}`);
  }
  const k = (name: string): string => `${arch}.${name}`;
  /** A size or count: llama.cpp reads these keys as uint32, and a model needs each to be at least 1. */
  const size = (key: string, fallback?: number): number => {
    const v = meta.integer(key, fallback);
    if (v < 1 || v > MAX_COUNT) throw new ConfigError(key, source, `must be an integer in [1, ${MAX_COUNT}], got ${v}`);
    return v;
  };
  /** A float hyper-parameter that must be finite and positive (an RMSNorm epsilon, a RoPE base). */
  const positiveFloat = (key: string, fallback: number): number => {
    const v = meta.number(key, fallback);
    if (!(Number.isFinite(v) && v > 0)) throw new ConfigError(key, source, `must be a finite positive number, got ${v}`);
    return decimalOfFloat32(v);
  };
  const vocabSize = size(k('vocab_size'), vocab);
  const hiddenSize = size(k('embedding_length'));
  const numHeads = size(k('attention.head_count'));
  // formats §5: head_count_kv defaults to head_count, rope.dimension_count to embedding_length / head_count.
  const numKvHeads = size(k('attention.head_count_kv'), numHeads);
  if (numHeads % numKvHeads !== 0) {
    throw new ConfigError(k('attention.head_count_kv'), source, `(${numKvHeads}) must divide attention.head_count (${numHeads})`);
  }
  const headDim = Math.floor(hiddenSize / numHeads);
  if (headDim < 2 || headDim % 2 !== 0) throw new ConfigError(k('attention.head_count'), source, `gives head dim ${headDim} (embedding_length / head_count); RoPE needs an even head dim`);
  const ropeDims = meta.integer(k('rope.dimension_count'), headDim);
  if (ropeDims !== headDim) throw new ConfigError(k('rope.dimension_count'), source, `is ${ropeDims}; partial rotary embeddings (≠ head dim ${headDim}) are not supported`);
  if (meta.has(k('rope.scaling.type'))) {
    const type = meta.string(k('rope.scaling.type'));
    const factor = meta.number(k('rope.scaling.factor'), 1);
    if (!(type === 'none' || (type === 'linear' && factor === 1))) throw new ConfigError(k('rope.scaling.type'), source, `is '${type}' (factor ${factor}); only unscaled RoPE is supported`);
  }
  // Special ids must name tokens, as configFromHf's `tokenIds` requires (gguf-tokenizer.ts refuses them too).
  const tokenId = (key: string): number => {
    const id = meta.integer(key);
    if (id < 0 || id >= vocabSize) throw new ConfigError(key, source, `is ${id}, outside the vocabulary of ${vocabSize} tokens`);
    return id;
  };
  const bos = meta.has('tokenizer.ggml.bos_token_id') ? tokenId('tokenizer.ggml.bos_token_id') : null;
  const eos = meta.has('tokenizer.ggml.eos_token_id') ? [tokenId('tokenizer.ggml.eos_token_id')] : [];
  return {
    source,
    vocabSize,
    hiddenSize,
    intermediateSize: size(k('feed_forward_length')),
    numLayers: size(k('block_count')),
    numHeads,
    numKvHeads,
    headDim,
    ropeTheta: positiveFloat(k('rope.freq_base'), 10000),
    rmsNormEps: positiveFloat(k('attention.layer_norm_rms_epsilon'), 1e-5),
    contextLength: size(k('context_length'), 2048),
    activation: ggufActivation(meta, arch),
    tieWordEmbeddings: tied,
    bosTokenId: bos,
    eosTokenIds: eos,
  };
}

/**
 * GGUF stores these hyper-parameters as float32, converted from the decimal a config.json held (1e-5 becomes
 * 9.99999974737875e-6). The float64 reference takes the shortest decimal that rounds to the stored float32 — the
 * value the author wrote — so that a converted model computes exactly what its source folder does.
 */
export function decimalOfFloat32(x: number): number {
  if (Math.fround(x) !== x || !Number.isFinite(x)) return x;
  for (let digits = 1; digits <= 9; digits++) {
    const d = Number(x.toPrecision(digits));
    if (Math.fround(d) === x) return d;
  }
  return x;
}

/**
 * The FFN activation: llama.cpp's `ARCH.hidden_activation` key when present (also read as `hidden_act`); otherwise
 * SiLU for `bitnet` (llama.cpp's graph, formats §8) and relu² for bitnet.cpp's `bitnet-b1.58` / `bitnet-25`.
 */
function ggufActivation(meta: GgufKeys, arch: string): FfnActivation {
  for (const key of [`${arch}.hidden_activation`, `${arch}.hidden_act`]) {
    if (!meta.has(key)) continue;
    const v = meta.string(key).toLowerCase();
    if (v === 'relu2' || v === 'relu_sqr' || v === 'relu-squared' || v === 'squared_relu') return 'relu2';
    if (v === 'silu' || v === 'swish' || v === 'swiglu') return 'silu';
    throw new ConfigError(key, meta.file, `is '${v}'; supported: relu2, silu`);
  }
  return arch === 'bitnet' ? 'silu' : 'relu2';
}
