/**
 * The wasm backend's buffers and handles. Activations, int8 activations (padded to the kernels' 64-column blocks),
 * their scales and sums, and the float32 KV cache live in the shared heap, so kernels on every thread and JS see
 * them without copies; norm weights stay in JS.
 */
import { ShapeError } from '../../errors.js';
import type { TableStorage } from '../../kernels/wasm/lm-head-wat.js';
import { Q8K_BLOCK, type ActivationBuffer, type ActivationScheme, type KvCacheBuffer, type MatrixHandle, type QuantizedBuffer, type TernaryHandle, type VectorHandle } from '../ops.js';
import type { WasmHeap } from './heap.js';

export class WasmActivations implements ActivationBuffer {
  readonly offset: number;
  constructor(private readonly heap: WasmHeap, readonly rows: number, readonly cols: number) {
    this.offset = heap.alloc(rows * cols * 4);
  }
  /** The live float32 view (re-derived each call: the heap may have grown). */
  get data(): Float32Array {
    return this.heap.f32.subarray(this.offset >> 2, (this.offset >> 2) + this.rows * this.cols);
  }
}

export class WasmQuantized implements QuantizedBuffer {
  /** Columns padded to whole 64-weight kernel blocks; padding stays zero. */
  readonly paddedCols: number;
  /** 'per-token': int8 values in the heap at `offset`; 'q8k': in `jsQ` (the Q8_K path runs in JS). */
  readonly offset: number;
  readonly jsQ: Int8Array | null;
  /** 'per-token': heap offsets of s per row (f64, x ≈ q / s) and of Σ_i q[t, i] per row (i32, which turns code dots Σ q · (t + 1) into Σ q · t). */
  readonly scaleOffset: number;
  readonly sumsOffset: number;
  /** 'q8k': d per 256-block. */
  private readonly q8kScale: Float64Array | null;
  constructor(private readonly heap: WasmHeap, readonly rows: number, readonly cols: number, readonly scheme: ActivationScheme) {
    if (scheme === 'q8k' && cols % Q8K_BLOCK !== 0) throw new ShapeError('allocateQuantized', `cols a multiple of ${Q8K_BLOCK} for q8k`, `${cols}`);
    this.paddedCols = Math.ceil(cols / 64) * 64;
    const perToken = scheme === 'per-token';
    this.offset = perToken ? heap.alloc(rows * this.paddedCols) : 0;
    this.scaleOffset = perToken ? heap.alloc(rows * 8) : 0;
    this.sumsOffset = perToken ? heap.alloc(rows * 4) : 0;
    this.jsQ = perToken ? null : new Int8Array(rows * cols);
    this.q8kScale = perToken ? null : new Float64Array((rows * cols) / Q8K_BLOCK);
  }
  /** Returns the heap blocks (the backend's release). */
  release(): void {
    if (this.scheme !== 'per-token') return;
    this.heap.release(this.offset, this.rows * this.paddedCols);
    this.heap.release(this.scaleOffset, this.rows * 8);
    this.heap.release(this.sumsOffset, this.rows * 4);
  }
  get q(): Int8Array {
    return this.heap.i8.subarray(this.offset, this.offset + this.rows * this.paddedCols);
  }
  /** 'per-token': s per row; 'q8k': d per block. */
  get scale(): Float64Array {
    return this.q8kScale ?? this.heap.f64.subarray(this.scaleOffset >> 3, (this.scaleOffset >> 3) + this.rows);
  }
  get sums(): Int32Array {
    return this.heap.i32.subarray(this.sumsOffset >> 2, (this.sumsOffset >> 2) + this.rows);
  }
}

/**
 * float32 keys and values in the heap, one block: per layer, keys then values, each head-major [Hkv][capacity][D]
 * (attention-wat.ts streams one head's keys contiguously). Sized per generation by the
 * engine; the block returns to the heap when the model releases the cache (or, failing that, when it is collected).
 */
export class WasmKvCache implements KvCacheBuffer {
  readonly offset: number;
  readonly bytes: number;
  constructor(heap: WasmHeap, readonly layers: number, readonly capacity: number, readonly kvDim: number) {
    this.bytes = 2 * layers * capacity * kvDim * 4;
    this.offset = heap.alloc(this.bytes);
  }
  /** Byte offset of layer `l`'s keys (which = 0) or values (which = 1). */
  at(l: number, which: 0 | 1): number {
    return this.offset + ((2 * l + which) * this.capacity * this.kvDim) * 4;
  }
}

export interface WasmTernary extends TernaryHandle {
  readonly groups: number;
  readonly kblocks: number;
  /** Byte offset of the interleaved codes in the heap. */
  readonly offset: number;
  readonly scale: number;
}

export interface WasmVector extends VectorHandle {
  /** Byte offset of the float32 values in the heap. */
  readonly offset: number;
}

export interface WasmMatrix extends MatrixHandle {
  /** Byte offset of the [rows, cols] table in the heap, stored as `storage` (matrix-storage.ts). */
  readonly offset: number;
  /** 'i8': the opt-in lossy int8 table (rows padded to `rowBytes`, one float32 scale per row at `scalesOffset`). */
  readonly storage: TableStorage | 'i8';
  readonly rowBytes?: number;
  readonly scalesOffset?: number;
}

function narrow<T>(op: string, what: string, b: unknown, cls: abstract new (...args: never[]) => T): T {
  if (!(b instanceof cls)) throw new ShapeError(op, `a wasm-backend ${what}`, (b as object)?.constructor?.name ?? String(b));
  return b;
}

export const act = (op: string, b: ActivationBuffer): WasmActivations => narrow(op, 'activation buffer', b, WasmActivations);
export const quantized = (op: string, b: QuantizedBuffer): WasmQuantized => narrow(op, 'quantized buffer', b, WasmQuantized);
export const kvCache = (op: string, b: KvCacheBuffer): WasmKvCache => narrow(op, 'KV cache', b, WasmKvCache);
