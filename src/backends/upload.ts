/**
 * Uploads a whole model through a backend's per-tensor upload calls, one piece at a time in file order (so the
 * typed copy of each piece can be dropped before the next is read), resolving a tied lm_head to the embedding.
 */
import type { TernaryStorage, WeightSource } from '../model/weights.js';
import type { TernaryHandle } from './ops.js';
import type { Backend, DeviceWeights } from './backend.js';

export interface UploadedWeights {
  readonly device: DeviceWeights;
  /** How each uploaded ternary matrix was stored in the file (the numerics profile reads it). */
  readonly storage: ReadonlyMap<TernaryHandle, TernaryStorage>;
}

export function uploadWeights(backend: Backend, src: WeightSource): UploadedWeights {
  const storage = new Map<TernaryHandle, TernaryStorage>();
  const ternary = (m: Parameters<Backend['uploadTernary']>[0]): TernaryHandle => {
    const h = backend.uploadTernary(m);
    storage.set(h, m.storage);
    return h;
  };
  const alloc = backend.allocateTable?.bind(backend);
  const tokenEmbedding = backend.uploadMatrix(src.tokenEmbedding(alloc));
  const layers = Array.from({ length: src.numLayers }, (_, i) => {
    const l = src.layer(i);
    return {
      attnNorm: backend.uploadVector(l.attnNorm),
      q: ternary(l.q),
      k: ternary(l.k),
      v: ternary(l.v),
      attnSubNorm: backend.uploadVector(l.attnSubNorm),
      o: ternary(l.o),
      ffnNorm: backend.uploadVector(l.ffnNorm),
      gate: ternary(l.gate),
      up: ternary(l.up),
      ffnSubNorm: backend.uploadVector(l.ffnSubNorm),
      down: ternary(l.down),
    };
  });
  const outputNorm = backend.uploadVector(src.outputNorm());
  const lmHead = src.lmHead(alloc);
  return { device: { tokenEmbedding, outputNorm, lmHead: lmHead === null ? tokenEmbedding : backend.uploadMatrix(lmHead), layers }, storage };
}
