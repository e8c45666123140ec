/**
 * The reference backend: float64 kernels on TypedArrays, the oracle every other backend is judged against.
 * Weights stay in the loader's arrays (no copy).
 */
import { InvalidOptionError, ShapeError } from '../../errors.js';
import { tableToF32, type FloatTable, type TernaryMatrix } from '../../model/weights.js';
import type { Tensor } from '../../tensor.js';
import type { Backend, BackendDescriptor, BackendInfo } from '../backend.js';
import type { ActivationBuffer, ActivationScheme, QuantizedBuffer } from '../ops.js';
import { act, quantized, RefActivations, RefKvCache, RefQuantized, type RefMatrix, type RefTernary, type RefVector } from './buffers.js';
import { readCopy, withShapeChecks } from '../checks.js';
import { createReferenceOps } from './ops.js';

export class ReferenceBackend implements Backend {
  readonly name = 'reference';
  readonly ops = withShapeChecks(createReferenceOps());

  info(): BackendInfo {
    return { name: this.name, precision: 'float64', threads: 1, features: ['typed-arrays'] };
  }

  uploadTernary(w: TernaryMatrix): RefTernary {
    return { rows: w.rows, cols: w.cols, packed: w.packed, scale: w.scale };
  }

  uploadVector(v: Tensor<'f32'>): RefVector {
    return { length: v.data.length, data: v.data };
  }

  /** Kept as float32 (16-bit tables widened exactly). */
  uploadMatrix(m: FloatTable): RefMatrix {
    if (m.shape.length !== 2) throw new ShapeError('uploadMatrix', '[rows, cols]', `[${m.shape.join(', ')}]`);
    return { rows: m.shape[0], cols: m.shape[1], data: tableToF32(m).data };
  }

  allocate(rows: number, cols: number): RefActivations {
    return new RefActivations(rows, cols);
  }

  allocateQuantized(rows: number, cols: number, scheme: ActivationScheme = 'per-token'): RefQuantized {
    return new RefQuantized(rows, cols, scheme);
  }

  allocateKvCache(layers: number, capacity: number, kvDim: number): RefKvCache {
    return new RefKvCache(layers, capacity, kvDim);
  }

  /** The cache is plain JS arrays: the garbage collector frees it. */
  releaseKvCache(): void {}

  write(x: ActivationBuffer, data: ArrayLike<number>): void {
    const b = act('write', x);
    if (data.length !== b.data.length) throw new ShapeError('write', `${b.data.length} values`, `${data.length}`);
    b.data.set(data);
  }

  async read(x: ActivationBuffer, into?: Float64Array | Float32Array): Promise<Float64Array> {
    return readCopy(Float64Array, act('read', x).data, into);
  }

  async readQuantized(x: QuantizedBuffer): Promise<{ q: Int8Array; scale: Float64Array }> {
    const b = quantized('readQuantized', x);
    return { q: b.q.slice(), scale: b.scale.slice() };
  }

  dispose(): void {}
}

export const referenceBackend: BackendDescriptor = {
  name: 'reference',
  unavailableReason: async () => null,
  async create(options) {
    if (options.lmHead !== undefined && options.lmHead !== 'exact') {
      throw new InvalidOptionError('lmHead', `the reference backend computes the lm_head exactly; '${String(options.lmHead)}' needs the wasm backend`);
    }
    return new ReferenceBackend();
  },
};
