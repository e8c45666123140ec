/**
 * Uploads a whole model through a backend's per-tensor upload calls, resolving a tied lm_head to the embedding.
 */
import type { ModelWeights } from '../model/weights.js';
import type { Backend, DeviceWeights } from './backend.js';

export function uploadWeights(backend: Backend, w: ModelWeights): DeviceWeights {
  const tokenEmbedding = backend.uploadMatrix(w.tokenEmbedding);
  return {
    tokenEmbedding,
    outputNorm: backend.uploadVector(w.outputNorm),
    lmHead: w.lmHead === null ? tokenEmbedding : backend.uploadMatrix(w.lmHead),
    layers: w.layers.map((l) => ({
      attnNorm: backend.uploadVector(l.attnNorm),
      q: backend.uploadTernary(l.q),
      k: backend.uploadTernary(l.k),
      v: backend.uploadTernary(l.v),
      attnSubNorm: backend.uploadVector(l.attnSubNorm),
      o: backend.uploadTernary(l.o),
      ffnNorm: backend.uploadVector(l.ffnNorm),
      gate: backend.uploadTernary(l.gate),
      up: backend.uploadTernary(l.up),
      ffnSubNorm: backend.uploadVector(l.ffnSubNorm),
      down: backend.uploadTernary(l.down),
    })),
  };
}
