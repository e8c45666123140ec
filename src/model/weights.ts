/**
 * Typed, backend-neutral model weights: what a format loader produces and a backend uploads. Ternary matrices are
 * already repacked into the engine's row layout (src/formats/ternary-rows.ts); float weights are float32 arrays
 * holding the file's values exactly (BF16 and F16 widen losslessly). Shapes use PyTorch order, [out, in].
 */
import { decodeBf16, decodeF16 } from '../formats/float16.js';
import { fromArray, type Tensor } from '../tensor.js';

/** The tensor type a ternary matrix was stored as; the numerics profile reads it (numerics.ts). */
export type TernaryStorage = 'hf-packed' | 'tq1_0' | 'tq2_0' | 'i2_s' | 'f32' | 'f16' | 'bf16';

/** A BitLinear weight: W = t · scale with t ∈ {−1, 0, +1} (formats §3.1). */
export interface TernaryMatrix {
  /** Output features (rows of W). */
  readonly rows: number;
  /** Input features (the reduction dimension). */
  readonly cols: number;
  /** `rows × ceil(cols / 4)` bytes in the ternary-rows layout. */
  readonly packed: Uint8Array;
  /** β: the real value of t = +1 (for `bitlinear` checkpoints, 1 / weight_scale). */
  readonly scale: number;
  readonly storage: TernaryStorage;
}

export interface LayerWeights {
  readonly attnNorm: Tensor<'f32'>; // (hidden) — HF input_layernorm
  readonly q: TernaryMatrix; // (heads·headDim, hidden)
  readonly k: TernaryMatrix; // (kvHeads·headDim, hidden)
  readonly v: TernaryMatrix; // (kvHeads·headDim, hidden)
  readonly attnSubNorm: Tensor<'f32'>; // (heads·headDim)
  readonly o: TernaryMatrix; // (hidden, heads·headDim)
  readonly ffnNorm: Tensor<'f32'>; // (hidden) — HF post_attention_layernorm
  readonly gate: TernaryMatrix; // (intermediate, hidden)
  readonly up: TernaryMatrix; // (intermediate, hidden)
  readonly ffnSubNorm: Tensor<'f32'>; // (intermediate)
  readonly down: TernaryMatrix; // (hidden, intermediate)
}

export interface ModelWeights {
  readonly tokenEmbedding: Tensor<'f32'>; // (vocab, hidden)
  readonly layers: readonly LayerWeights[];
  readonly outputNorm: Tensor<'f32'>; // (hidden)
  /** (vocab, hidden), or null when the lm_head is tied to tokenEmbedding. */
  readonly lmHead: Tensor<'f32'> | null;
}

/** An embedding / lm_head table as stored: float32, or the file's own 16-bit values (IEEE half or bfloat16 bits). */
export type FloatTable = Tensor<'f32'> | Tensor<'f16'> | Tensor<'bf16'>;

/**
 * Memory for a table a source is about to read: an array of `rows · cols` elements (Uint16Array for 'f16' / 'bf16').
 * A backend hands out its own (Backend.allocateTable), so the file is read straight into it.
 */
export type TableAllocator = (dtype: FloatTable['dtype'], rows: number, cols: number) => Float32Array | Uint16Array;

/**
 * Weights read on demand, one piece per call (what `openCheckpoint` hands the engine): uploading a layer at a time
 * means a model never sits in memory twice, once as typed arrays and once inside the backend, and 16-bit tables
 * stay 16-bit until a backend decides how to keep them. Each call reads and decodes again: call each once.
 */
export interface WeightSource {
  readonly numLayers: number;
  /** `alloc`, when given, provides the memory a 16-bit table is read into. */
  tokenEmbedding(alloc?: TableAllocator): FloatTable;
  layer(i: number): LayerWeights;
  outputNorm(): Tensor<'f32'>;
  /** null when the lm_head is tied to the embedding. */
  lmHead(alloc?: TableAllocator): FloatTable | null;
}

/** A source over weights already in memory. */
export function weightSource(w: ModelWeights): WeightSource {
  return { numLayers: w.layers.length, tokenEmbedding: () => w.tokenEmbedding, layer: (i) => w.layers[i], outputNorm: () => w.outputNorm, lmHead: () => w.lmHead };
}

/** A table's values as float32 (exact: halves and bfloat16 widen losslessly). */
export function tableToF32(t: FloatTable): Tensor<'f32'> {
  if (t.dtype === 'f32') return t;
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return fromArray('f32', t.shape, t.dtype === 'f16' ? decodeF16(bytes) : decodeBf16(bytes));
}

/** Reads every piece of a source in file order (embedding, layers, output norm, lm_head), tables as float32. */
export function readAllWeights(src: WeightSource): ModelWeights {
  const tokenEmbedding = tableToF32(src.tokenEmbedding());
  const layers = Array.from({ length: src.numLayers }, (_, i) => src.layer(i));
  const outputNorm = src.outputNorm();
  const lmHead = src.lmHead();
  return { tokenEmbedding, layers, outputNorm, lmHead: lmHead === null ? null : tableToF32(lmHead) };
}
