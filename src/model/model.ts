/**
 * The Model interface the engine drives, and the KV cache it passes explicitly (the model itself is immutable).
 */
import type { BackendInfo } from '../backends/backend.js';
import type { ModelConfig } from './config.js';

/** Per-sequence state: keys and values of positions 0 .. length − 1. Owned by the model that made it. */
export interface KvCache {
  readonly capacity: number;
  /** Positions already filled. */
  readonly length: number;
  /** Forget everything: the next forward starts at position 0. */
  reset(): void;
  /** Gives the cache's memory back to the backend; the cache must not be used afterwards. Idempotent. */
  release(): void;
}

/** Logits rows, each `vocabSize` long: float64 from the reference, float32 from fast backends. */
export interface Logits {
  readonly rows: number;
  readonly vocabSize: number;
  readonly data: Float64Array | Float32Array;
}

/** Names of the intermediates a forward pass reports to an observer (architecture.md "tracing"). */
export type TraceName =
  | 'embedding'
  | 'attn_norm'
  | 'q'
  | 'k'
  | 'v'
  | 'attn_out'
  | 'attn_sub_norm'
  | 'attn_o_proj'
  | 'attn_residual'
  | 'ffn_norm'
  | 'ffn_gate'
  | 'ffn_up'
  | 'ffn_act'
  | 'ffn_sub_norm'
  | 'ffn_down'
  | 'ffn_residual'
  | 'output_norm'
  | 'logits';

/**
 * Receives each named intermediate as it is produced; `layer` is −1 outside the decoder layers. `read` copies
 * the tensor to the host and must be awaited before the observer returns if the caller wants its value.
 */
export type ForwardObserver = (name: TraceName, layer: number, read: () => Promise<Float64Array | Float32Array>) => void | Promise<void>;

export interface ForwardOptions {
  /** 'last' (default) computes logits for the last position only; 'all' for every position. */
  readonly logits?: 'last' | 'all';
  readonly observer?: ForwardObserver;
  /**
   * An earlier result's `data` that may be overwritten with this one's (a decode loop passes its last logits back):
   * used when its type and length fit, else a new array is returned.
   */
  readonly reuse?: Float64Array | Float32Array;
}

export interface Model {
  readonly config: ModelConfig;
  readonly backendName: string;
  /** What runs it: name, precision, threads, features. */
  readonly backendInfo: BackendInfo;
  createCache(capacity?: number): KvCache;
  /** Runs `tokenIds` at positions cache.length.. and appends them to the cache. */
  forward(tokenIds: Int32Array, cache: KvCache, options?: ForwardOptions): Promise<Logits>;
  /**
   * Runs `tokenIds` as forward does and returns the greedy next token, the argmax (src/argmax.ts) of the last
   * position's logits — found on the backend where it can (Backend.argmaxRows), so that a greedy decode step reads
   * one integer instead of the vocabulary's logits. Optional: a model without it is decoded from its logits.
   */
  forwardArgmax?(tokenIds: Int32Array, cache: KvCache): Promise<number>;
  dispose(): void;
}
