/**
 * Typed, backend-neutral model weights: what a format loader produces and a backend uploads. Ternary matrices are
 * already repacked into the engine's row layout (src/formats/ternary-rows.ts); float weights are float32 arrays
 * holding the file's values exactly (BF16 and F16 widen losslessly). Shapes use PyTorch order, [out, in].
 */
import type { Tensor } from '../tensor.js';

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
