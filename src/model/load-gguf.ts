/**
 * Loads a BitNet GGUF (llama.cpp's `bitnet`, bitnet.cpp's `bitnet-b1.58` / `bitnet-25`; formats §4.2, §5) into a
 * ModelConfig and ModelWeights. Ternary tensors (TQ1_0, TQ2_0, I2_S, or F32/F16/BF16 holding {−s, 0, +s}) are
 * repacked exactly into the engine's row layout with one scale per matrix; a tensor that is not ternary × one
 * scale is refused, never approximated. Embeddings may be F32, F16, BF16, Q8_0 or Q6_K.
 */
import { FormatError } from '../errors.js';
import { decodeBf16, decodeF16, decodeF32, readU16LE } from '../formats/float16.js';
import { decodeI2S } from '../formats/codecs/i2-s.js';
import { decodeQ6K } from '../formats/codecs/q6-k.js';
import { decodeQ8_0 } from '../formats/codecs/q8-0.js';
import { decodeTq1_0 } from '../formats/codecs/tq1-0.js';
import { tq2_0ToTernaryRows } from '../formats/codecs/tq2-0.js';
import type { GgufMetadata } from '../formats/gguf/metadata.js';
import { GgufFile, type GgufTensorInfo } from '../formats/gguf/reader.js';
import { packTernaryRows } from '../formats/ternary-rows.js';
import { fromArray, type Tensor } from '../tensor.js';
import { configFromGguf, type ModelConfig } from './config.js';
import { readAllWeights, type FloatTable, type LayerWeights, type ModelWeights, type TableAllocator, type TernaryMatrix, type TernaryStorage, type WeightSource } from './weights.js';

export interface GgufCheckpoint {
  readonly path: string;
  readonly config: ModelConfig;
  readonly weights: ModelWeights;
  /** The file's metadata, for the tokenizer and chat template (tokenizer.ggml.*, tokenizer.chat_template). */
  readonly metadata: GgufMetadata;
}

/** An open GGUF whose weights are read on demand; close it when done. */
export interface OpenGguf extends Omit<GgufCheckpoint, 'weights'> {
  readonly weights: WeightSource;
  close(): void;
}

/** Tensor types per role (formats §1.3). */
const TERNARY_TYPES: Record<string, TernaryStorage> = { TQ1_0: 'tq1_0', TQ2_0: 'tq2_0', I2_S: 'i2_s', F32: 'f32', F16: 'f16', BF16: 'bf16' };

function expectDims(f: GgufFile, t: GgufTensorInfo, dims: readonly number[]): void {
  if (t.dims.length !== dims.length || t.dims.some((d, i) => d !== dims[i])) {
    throw new FormatError(f.path, `dims [${t.dims.join(', ')}] do not match the metadata's [${dims.join(', ')}]`, { field: t.name, offset: t.offset });
  }
}

/** Decodes a full-precision or block-quantised float tensor to float32 values. */
function floatValues(f: GgufFile, t: GgufTensorInfo): Float32Array {
  const bytes = f.readTensorBytes(t.name);
  const n = t.dims.reduce((a, b) => a * b, 1);
  switch (t.typeName) {
    case 'F32': return decodeF32(bytes);
    case 'F16': return decodeF16(bytes);
    case 'BF16': return decodeBf16(bytes);
    case 'Q8_0': return decodeQ8_0(bytes, n);
    case 'Q6_K': return decodeQ6K(bytes, n);
    default:
      throw new FormatError(f.path, `tensor type ${t.typeName} is not supported here (F32, F16, BF16, Q8_0, Q6_K are)`, { field: t.name, offset: t.offset });
  }
}

/** A float tensor with torch shape `shape` (GGUF dims are the reverse). */
function floatTensor(f: GgufFile, name: string, shape: number[]): Tensor<'f32'> {
  const t = f.tensor(name);
  expectDims(f, t, [...shape].reverse());
  return fromArray('f32', shape, floatValues(f, t));
}

/**
 * An embedding / lm_head table [rows, cols]: F16 and BF16 as their raw bits (half the memory of float32), read
 * straight into `alloc`'s memory when given; other types decoded to float32.
 */
function floatTable(f: GgufFile, name: string, [rows, cols]: [number, number], alloc?: TableAllocator): FloatTable {
  const t = f.tensor(name);
  expectDims(f, t, [cols, rows]);
  if (t.typeName === 'F16' || t.typeName === 'BF16') {
    const dtype = t.typeName === 'F16' ? 'f16' : 'bf16';
    const dst = (alloc?.(dtype, rows, cols) ?? new Uint16Array(rows * cols)) as Uint16Array;
    return fromArray(dtype, [rows, cols], readU16LE(dst, (bytes) => f.readTensorInto(name, bytes)));
  }
  return fromArray('f32', [rows, cols], floatValues(f, t));
}

/** Which blocks of `blockElems` ternary values hold a non-zero one. */
function nonzeroBlocks(ternary: Int8Array, blockElems: number): Uint8Array {
  const out = new Uint8Array(ternary.length / blockElems);
  for (let i = 0; i < ternary.length; i++) if (ternary[i] !== 0) out[Math.floor(i / blockElems)] = 1;
  return out;
}

/** The one scale shared by every block that holds a non-zero weight; FormatError if blocks disagree. */
function sharedScale(f: GgufFile, t: GgufTensorInfo, blockNonzero: Uint8Array, blockScales: Float32Array): number {
  let scale: number | null = null;
  for (let b = 0; b < blockScales.length; b++) {
    if (blockNonzero[b] === 0) continue;
    if (scale === null) scale = blockScales[b];
    else if (blockScales[b] !== scale) {
      throw new FormatError(f.path, `block ${b} has scale ${blockScales[b]} but earlier blocks ${scale}: not ternary × one scale, so not a BitNet weight`, { field: t.name, offset: t.offset });
    }
  }
  return scale ?? 1;
}

/** Float values that must be exactly {−s, 0, +s}: the ternary codes and s. */
function ternarize(f: GgufFile, t: GgufTensorInfo, values: Float32Array): { ternary: Int8Array; scale: number } {
  const ternary = new Int8Array(values.length);
  let scale = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === 0) continue;
    if (scale === 0) scale = Math.abs(v);
    if (Math.abs(v) !== scale) {
      throw new FormatError(f.path, `element ${i} is ${v} but earlier non-zero elements are ±${scale}: not ternary × one scale (BitNet GGUFs hold {−s, 0, +s})`, { field: t.name, offset: t.offset });
    }
    ternary[i] = v > 0 ? 1 : -1;
  }
  return { ternary, scale: scale === 0 ? 1 : scale };
}

/**
 * A tensor's bytes in a buffer reused from one projection to the next (each is decoded into fresh arrays at once):
 * reading a large model otherwise leaves hundreds of megabytes of short-lived copies for the collector.
 */
const reusable = new WeakMap<GgufFile, Uint8Array>();
function readReused(f: GgufFile, name: string): Uint8Array {
  const size = f.tensor(name).byteSize;
  let buf = reusable.get(f);
  if (buf === undefined || buf.length < size) reusable.set(f, (buf = new Uint8Array(size)));
  const bytes = buf.subarray(0, size);
  f.readTensorInto(name, bytes);
  return bytes;
}

/** A projection weight [rows = out, cols = in], stored with GGUF dims [in, out]. */
function ternaryTensor(f: GgufFile, prefix: string, rows: number, cols: number): TernaryMatrix {
  const name = `${prefix}.weight`;
  const t = f.tensor(name);
  expectDims(f, t, [cols, rows]);
  const storage = TERNARY_TYPES[t.typeName];
  if (storage === undefined) {
    throw new FormatError(f.path, `a BitNet projection must be TQ1_0, TQ2_0, I2_S or F32/F16/BF16 holding ternary values, found ${t.typeName}`, { field: name, offset: t.offset });
  }
  let ternary: Int8Array | null = null;
  let packed: Uint8Array | null = null;
  let scale: number;
  if (storage === 'tq2_0') {
    // Straight into the row layout (most of a large model's load time otherwise goes to unpacking and repacking).
    const rowsForm = tq2_0ToTernaryRows(readReused(f, name), rows, cols);
    if (rowsForm.badCode >= 0) throw new FormatError(f.path, `element ${rowsForm.badCode} has code 3, not a ternary value`, { field: name, offset: t.offset });
    packed = rowsForm.packed;
    scale = sharedScale(f, t, rowsForm.blockNonzero, rowsForm.blockScales);
  } else if (storage === 'tq1_0') {
    const decoded = decodeTq1_0(readReused(f, name), rows, cols);
    ternary = decoded.ternary;
    scale = sharedScale(f, t, nonzeroBlocks(ternary, 256), decoded.blockScales);
  } else if (storage === 'i2_s') {
    const decoded = decodeI2S(readReused(f, name), rows, cols);
    if (decoded.badCode >= 0) throw new FormatError(f.path, `element ${decoded.badCode} has code 3, not a ternary value`, { field: name, offset: t.offset });
    ternary = decoded.ternary;
    scale = decoded.scale;
  } else {
    ({ ternary, scale } = ternarize(f, t, floatValues(f, t)));
  }
  // formats §4.2: an optional one-element `<proj>.scale` tensor multiplies the projection's output.
  const extra = `${prefix}.scale`;
  if (f.tensors.has(extra)) {
    const s = floatValues(f, f.tensor(extra));
    if (s.length !== 1 || !Number.isFinite(s[0]) || s[0] === 0) throw new FormatError(f.path, 'must hold one finite non-zero value', { field: extra });
    scale *= s[0];
  }
  if (!Number.isFinite(scale) || scale === 0) throw new FormatError(f.path, `scale ${scale} is not finite and non-zero`, { field: name, offset: t.offset });
  return { rows, cols, packed: packed ?? packTernaryRows(ternary as Int8Array, rows, cols), scale, storage };
}

function layer(f: GgufFile, c: ModelConfig, i: number): LayerWeights {
  const p = `blk.${i}`;
  const d = c.hiddenSize;
  const qDim = c.numHeads * c.headDim;
  const kvDim = c.numKvHeads * c.headDim;
  const ff = c.intermediateSize;
  return {
    attnNorm: floatTensor(f, `${p}.attn_norm.weight`, [d]),
    q: ternaryTensor(f, `${p}.attn_q`, qDim, d),
    k: ternaryTensor(f, `${p}.attn_k`, kvDim, d),
    v: ternaryTensor(f, `${p}.attn_v`, kvDim, d),
    attnSubNorm: floatTensor(f, `${p}.attn_sub_norm.weight`, [qDim]),
    o: ternaryTensor(f, `${p}.attn_output`, d, qDim),
    ffnNorm: floatTensor(f, `${p}.ffn_norm.weight`, [d]),
    gate: ternaryTensor(f, `${p}.ffn_gate`, ff, d),
    up: ternaryTensor(f, `${p}.ffn_up`, ff, d),
    ffnSubNorm: floatTensor(f, `${p}.ffn_sub_norm.weight`, [ff]),
    down: ternaryTensor(f, `${p}.ffn_down`, d, ff),
  };
}

/**
 * Opens `path` and reads its metadata and config; tensors are read when the returned source asks for them.
 * FormatError / ConfigError name the file and the key or tensor; on an error here the file is closed.
 */
export function openGguf(path: string): OpenGguf {
  const f = GgufFile.open(path);
  try {
    const meta = f.metadata;
    const embd = f.tensor('token_embd.weight');
    if (embd.dims.length !== 2) throw new FormatError(path, `token_embd must be 2-D, dims are [${embd.dims.join(', ')}]`, { field: embd.name });
    // llama.cpp stores no output.weight for `bitnet`: the lm_head is token_embd (formats §8).
    const tied = !f.tensors.has('output.weight');
    const config = configFromGguf(meta, embd.dims[1], tied);
    const table: [number, number] = [config.vocabSize, config.hiddenSize];
    const weights: WeightSource = {
      numLayers: config.numLayers,
      tokenEmbedding: (alloc) => floatTable(f, 'token_embd.weight', table, alloc),
      layer: (i) => layer(f, config, i),
      outputNorm: () => floatTensor(f, 'output_norm.weight', [config.hiddenSize]),
      lmHead: (alloc) => (tied ? null : floatTable(f, 'output.weight', table, alloc)),
    };
    return { path, config, metadata: meta, weights, close: () => f.close() };
  } catch (err) {
    f.close();
    throw err;
  }
}

/** Loads `path` whole; FormatError / ConfigError name the file and the key or tensor; the file is closed either way. */
export function loadGguf(path: string): GgufCheckpoint {
  const g = openGguf(path);
  try {
    return { path, config: g.config, metadata: g.metadata, weights: readAllWeights(g.weights) };
  } finally {
    g.close();
  }
}
