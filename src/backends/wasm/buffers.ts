/**
 * The wasm backend's buffers and handles. Activations are float32 in the shared heap (so kernels and JS share
 * them); int8 activations are padded to the kernels' 64-column blocks; the KV cache and norm weights stay in JS.
 */
import { ShapeError } from '../../errors.js';
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
  /** 'per-token': s per row (x ≈ q / s); 'q8k': d per 256-block. */
  readonly scale: Float64Array;
  /** Σ_i q[t, i] per row, to turn code dots Σ q · (t + 1) into Σ q · t. */
  readonly sums: Int32Array;
  constructor(private readonly heap: WasmHeap, readonly rows: number, readonly cols: number, readonly scheme: ActivationScheme) {
    if (scheme === 'q8k' && cols % Q8K_BLOCK !== 0) throw new ShapeError('allocateQuantized', `cols a multiple of ${Q8K_BLOCK} for q8k`, `${cols}`);
    this.paddedCols = Math.ceil(cols / 64) * 64;
    this.offset = scheme === 'per-token' ? heap.alloc(rows * this.paddedCols) : 0;
    this.jsQ = scheme === 'q8k' ? new Int8Array(rows * cols) : null;
    this.scale = new Float64Array(scheme === 'q8k' ? (rows * cols) / Q8K_BLOCK : rows);
    this.sums = new Int32Array(rows);
  }
  get q(): Int8Array {
    return this.heap.i8.subarray(this.offset, this.offset + this.rows * this.paddedCols);
  }
}

/** float64, because attention runs the reference kernel; sized per run by the engine, so it stays small. */
export class WasmKvCache implements KvCacheBuffer {
  readonly k: Float64Array[];
  readonly v: Float64Array[];
  constructor(readonly layers: number, readonly capacity: number, readonly kvDim: number) {
    this.k = Array.from({ length: layers }, () => new Float64Array(capacity * kvDim));
    this.v = Array.from({ length: layers }, () => new Float64Array(capacity * kvDim));
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
  readonly data: Float32Array;
}

export interface WasmMatrix extends MatrixHandle {
  /** Byte offset of the float32 [rows, cols] table in the heap. */
  readonly offset: number;
}

function narrow<T>(op: string, what: string, b: unknown, cls: abstract new (...args: never[]) => T): T {
  if (!(b instanceof cls)) throw new ShapeError(op, `a wasm-backend ${what}`, (b as object)?.constructor?.name ?? String(b));
  return b;
}

export const act = (op: string, b: ActivationBuffer): WasmActivations => narrow(op, 'activation buffer', b, WasmActivations);
export const quantized = (op: string, b: QuantizedBuffer): WasmQuantized => narrow(op, 'quantized buffer', b, WasmQuantized);
export const kvCache = (op: string, b: KvCacheBuffer): WasmKvCache => narrow(op, 'KV cache', b, WasmKvCache);
