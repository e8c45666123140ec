/**
 * Progress of reading a model's weights, for whoever shows it (the CLI draws a bar; a page could draw its own).
 * Weights are counted in pieces as a WeightSource hands them out: the embedding, each layer, the output norm and
 * the lm_head, so a model of L layers is L + 3 pieces. Nothing here prints.
 */
import type { WeightSource } from './weights.js';

/** One report: `done` of `total` units of `phase` are finished; `done` never decreases and ends at `total`. */
export interface LoadProgress {
  /** What is being counted, e.g. 'weights' (pieces read and uploaded). */
  readonly phase: string;
  readonly done: number;
  readonly total: number;
}

export type LoadProgressCallback = (progress: LoadProgress) => void;

/** Pieces a source hands out: embedding, layers, output norm, lm_head. */
export function weightPieces(src: WeightSource): number {
  return src.numLayers + 3;
}

/**
 * `src`, reporting `done` = pieces already handed out each time the next one is asked for: a reader that uses each
 * piece before asking for the next (uploadWeights, readAllWeights) has finished with those `done` pieces. The
 * caller reports `done = total` itself once the last piece is used.
 */
export function reportingPieces(src: WeightSource, phase: string, onProgress: LoadProgressCallback): WeightSource {
  const total = weightPieces(src);
  let asked = 0;
  const next = <T>(read: () => T): T => {
    onProgress({ phase, done: Math.min(asked, total), total });
    asked++;
    return read();
  };
  return {
    numLayers: src.numLayers,
    tokenEmbedding: (alloc) => next(() => src.tokenEmbedding(alloc)),
    layer: (i) => next(() => src.layer(i)),
    outputNorm: () => next(() => src.outputNorm()),
    lmHead: (alloc) => next(() => src.lmHead(alloc)),
  };
}
