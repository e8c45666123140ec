/**
 * The reference backend's buffers and weight handles: plain TypedArrays. Activations are float64 so that the
 * reference is the math itself; weights keep the file's exact float32 / packed values.
 */
import { ShapeError } from '../../errors.js';
import { Q8K_BLOCK, type ActivationBuffer, type ActivationScheme, type KvCacheBuffer, type MatrixHandle, type QuantizedBuffer, type TernaryHandle, type VectorHandle } from '../ops.js';

export class RefActivations implements ActivationBuffer {
  readonly data: Float64Array;
  constructor(readonly rows: number, readonly cols: number) {
    this.data = new Float64Array(rows * cols);
  }
}

export class RefQuantized implements QuantizedBuffer {
  readonly q: Int8Array;
  /** 'per-token': s per row; 'q8k': d per 256-block, row-major. */
  readonly scale: Float64Array;
  constructor(readonly rows: number, readonly cols: number, readonly scheme: ActivationScheme) {
    if (scheme === 'q8k' && cols % Q8K_BLOCK !== 0) throw new ShapeError('allocateQuantized', `cols a multiple of ${Q8K_BLOCK} for q8k`, `${cols}`);
    this.q = new Int8Array(rows * cols);
    this.scale = new Float64Array(scheme === 'q8k' ? (rows * cols) / Q8K_BLOCK : rows);
  }
}

export class RefKvCache implements KvCacheBuffer {
  readonly k: Float64Array[];
  readonly v: Float64Array[];
  constructor(readonly layers: number, readonly capacity: number, readonly kvDim: number) {
    this.k = Array.from({ length: layers }, () => new Float64Array(capacity * kvDim));
    this.v = Array.from({ length: layers }, () => new Float64Array(capacity * kvDim));
  }
}

export interface RefTernary extends TernaryHandle {
  readonly packed: Uint8Array;
  readonly scale: number;
}

export interface RefVector extends VectorHandle {
  readonly data: Float32Array;
}

export interface RefMatrix extends MatrixHandle {
  readonly data: Float32Array;
}

/** Narrows an opaque handle to this backend's class, refusing another backend's buffers. */
export function act(op: string, b: ActivationBuffer): RefActivations {
  if (!(b instanceof RefActivations)) throw new ShapeError(op, 'a reference-backend activation buffer', b.constructor.name);
  return b;
}

export function quantized(op: string, b: QuantizedBuffer): RefQuantized {
  if (!(b instanceof RefQuantized)) throw new ShapeError(op, 'a reference-backend quantized buffer', b.constructor.name);
  return b;
}

export function kvCache(op: string, b: KvCacheBuffer): RefKvCache {
  if (!(b instanceof RefKvCache)) throw new ShapeError(op, 'a reference-backend KV cache', b.constructor.name);
  return b;
}
