/**
 * The reference backend: float64 kernels on TypedArrays, the oracle every other backend is judged against.
 */
import type { ModelWeights } from '../../model/weights.js';
import type { Tensor } from '../../tensor.js';
import type { Backend, BackendDescriptor, BackendInfo, DeviceWeights } from '../backend.js';
import type { ActivationBuffer } from '../ops.js';
import { act, RefActivations, RefKvCache, RefQuantized, type RefMatrix, type RefTernary, type RefVector } from './buffers.js';
import { createReferenceOps } from './ops.js';

function vector(t: Tensor<'f32'>): RefVector {
  return { length: t.data.length, data: t.data };
}

function matrix(t: Tensor<'f32'>): RefMatrix {
  return { rows: t.shape[0], cols: t.shape[1], data: t.data };
}

export class ReferenceBackend implements Backend {
  readonly name = 'reference';
  readonly ops = createReferenceOps();

  info(): BackendInfo {
    return { name: this.name, precision: 'float64', threads: 1, features: ['typed-arrays'] };
  }

  /** Weights stay in the loader's arrays: the reference needs no copy. */
  upload(w: ModelWeights): DeviceWeights {
    const tokenEmbedding = matrix(w.tokenEmbedding);
    return {
      tokenEmbedding,
      outputNorm: vector(w.outputNorm),
      lmHead: w.lmHead === null ? tokenEmbedding : matrix(w.lmHead),
      layers: w.layers.map((l) => ({
        attnNorm: vector(l.attnNorm),
        q: l.q as RefTernary,
        k: l.k as RefTernary,
        v: l.v as RefTernary,
        attnSubNorm: vector(l.attnSubNorm),
        o: l.o as RefTernary,
        ffnNorm: vector(l.ffnNorm),
        gate: l.gate as RefTernary,
        up: l.up as RefTernary,
        ffnSubNorm: vector(l.ffnSubNorm),
        down: l.down as RefTernary,
      })),
    };
  }

  allocate(rows: number, cols: number): RefActivations {
    return new RefActivations(rows, cols);
  }

  allocateQuantized(rows: number, cols: number): RefQuantized {
    return new RefQuantized(rows, cols);
  }

  allocateKvCache(layers: number, capacity: number, kvDim: number): RefKvCache {
    return new RefKvCache(layers, capacity, kvDim);
  }

  async read(x: ActivationBuffer): Promise<Float64Array> {
    return act('read', x).data.slice();
  }

  dispose(): void {}
}

export const referenceBackend: BackendDescriptor = {
  name: 'reference',
  unavailableReason: async () => null,
  create: async () => new ReferenceBackend(),
};
