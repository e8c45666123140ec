/**
 * The Backend interface: uploads typed weights once, owns every buffer, runs the ops of ops.ts. Nothing above
 * this boundary knows which backend runs; nothing below it knows about the engine.
 */
import type { FloatTable, TernaryMatrix } from '../model/weights.js';
import type { Tensor } from '../tensor.js';
import type {
  ActivationBuffer,
  ActivationScheme,
  BackendOps,
  KvCacheBuffer,
  MatrixHandle,
  QuantizedBuffer,
  TernaryHandle,
  VectorHandle,
} from './ops.js';

/** What a backend says about itself (shown by `--verbose` and in a result's usage data). */
export interface BackendInfo {
  readonly name: string;
  /** Arithmetic of the non-integer parts: the reference is float64, fast backends float32. */
  readonly precision: 'float64' | 'float32';
  readonly threads: number;
  readonly features: readonly string[];
  /**
   * Tokens a prompt is prefilled in at a time where the backend wants other than the engine's default
   * (generation.ts PREFILL_CHUNK): a GPU fills its cores only with long calls.
   */
  readonly prefillChunk?: number;
}

export interface DeviceLayerWeights {
  readonly attnNorm: VectorHandle;
  readonly q: TernaryHandle;
  readonly k: TernaryHandle;
  readonly v: TernaryHandle;
  readonly attnSubNorm: VectorHandle;
  readonly o: TernaryHandle;
  readonly ffnNorm: VectorHandle;
  readonly gate: TernaryHandle;
  readonly up: TernaryHandle;
  readonly ffnSubNorm: VectorHandle;
  readonly down: TernaryHandle;
}

/** ModelWeights after upload; the lm_head is resolved (a tied model's is the embedding handle). */
export interface DeviceWeights {
  readonly tokenEmbedding: MatrixHandle;
  readonly layers: readonly DeviceLayerWeights[];
  readonly outputNorm: VectorHandle;
  readonly lmHead: MatrixHandle;
}

export interface Backend {
  readonly name: string;
  readonly ops: BackendOps;
  info(): BackendInfo;
  /** Weights are uploaded once; a backend may repack them into its own layout here. */
  uploadTernary(w: TernaryMatrix): TernaryHandle;
  uploadVector(v: Tensor<'f32'>): VectorHandle;
  /** An embedding / lm_head table, float32 or the file's 16-bit values; the backend chooses how to keep it. */
  uploadMatrix(m: FloatTable): MatrixHandle;
  /**
   * Optional: memory for a table the caller fills and then passes to uploadMatrix, which then keeps it without a
   * copy (the loader reads the file straight into it). Any other array passed to uploadMatrix is copied as usual.
   */
  allocateTable?(dtype: FloatTable['dtype'], rows: number, cols: number): Float32Array | Uint16Array;
  allocate(rows: number, cols: number): ActivationBuffer;
  allocateQuantized(rows: number, cols: number, scheme?: ActivationScheme): QuantizedBuffer;
  allocateKvCache(layers: number, capacity: number, kvDim: number): KvCacheBuffer;
  /** Frees a KV cache from allocateKvCache (a backend whose caches are garbage-collected may do nothing). */
  releaseKvCache(cache: KvCacheBuffer): void;
  /**
   * Optional: frees a buffer from allocate / allocateQuantized that its owner no longer uses (the model's buffers
   * for an earlier prompt length). Backends whose buffers are garbage-collected leave it out; the others must have
   * it, or memory grows with every new prompt length.
   */
  release?(buffer: ActivationBuffer | QuantizedBuffer): void;
  /** Fills a buffer from the host (row-major, rows × cols values). */
  write(x: ActivationBuffer, data: ArrayLike<number>): void;
  /**
   * A host copy of a buffer, row-major: written into `into` and returned when given (rows × cols values, a
   * Float64Array on a float64 backend, else a Float32Array; ShapeError otherwise), so that a loop reading logits
   * every token need not leave an array behind each time; else a new array.
   */
  read(x: ActivationBuffer, into?: Float64Array | Float32Array): Promise<Float64Array | Float32Array>;
  /**
   * Optional, for backends on a device: each row's argmax (src/argmax.ts: the lowest index on a tie; NaN never wins
   * unless it is the row's first value), so that plain greedy decoding reads one integer a token, not the logits.
   */
  argmaxRows?(x: ActivationBuffer): Promise<Int32Array>;
  /** A host copy of quantized activations: int8 values [rows, cols] and the scales (per row s, or per block d). */
  readQuantized(x: QuantizedBuffer): Promise<{ q: Int8Array; scale: Float64Array | Float32Array }>;
  dispose(): void;
}

export interface BackendOptions {
  /** Worker threads for backends that use them; ignored by the reference. */
  readonly threads?: number;
  /**
   * 'exact' (default): the lm_head / embedding table keeps the checkpoint's values. 'int8': rows quantised to int8
   * with one scale each and activations to int8 per token before the lm_head product — lossy, faster (docs/numerics.md);
   * backends without it refuse it.
   */
  readonly lmHead?: 'exact' | 'int8';
}

/** How a backend registers itself: availability is checked without creating anything. */
export interface BackendDescriptor {
  readonly name: string;
  /** null when usable here, else the reason it is not. */
  unavailableReason(): Promise<string | null>;
  /**
   * Optional: null when 'auto' may pick this backend, else why not although it is usable (a CPU-emulated GPU
   * adapter, say); the backend can still be asked for by name.
   */
  autoSkipReason?(): Promise<string | null>;
  create(options: BackendOptions): Promise<Backend>;
}
