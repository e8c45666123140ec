/**
 * The op vocabulary: the only list of ops a backend implements and the model calls (tfjs kernel_names.ts).
 * Each op has an `…Args` interface documenting shapes as [rows, cols] with the last dimension contiguous.
 * Buffers and weight handles are opaque and owned by the backend; the model never sees inside them.
 */

/** Float activations [rows, cols] living wherever the backend keeps them. */
export interface ActivationBuffer {
  readonly rows: number;
  readonly cols: number;
}

/**
 * How activations are quantised before a ternary product:
 * - 'per-token': HF transformers' absmax int8 over the whole row, one scale s per row, x ≈ q / s (formats §3.1);
 * - 'q8k': llama.cpp's Q8_K for TQ1_0/TQ2_0, one factor d per 256-element block, x ≈ q · d (formats §8).
 */
export type ActivationScheme = 'per-token' | 'q8k';

/** Q8_K's block width. */
export const Q8K_BLOCK = 256;

/** int8 activations [rows, cols] plus their scales: [rows] for 'per-token', [rows, cols / 256] for 'q8k'. */
export interface QuantizedBuffer {
  readonly rows: number;
  readonly cols: number;
  readonly scheme: ActivationScheme;
}

/** Keys (after RoPE) and values for every layer: [layers][capacity, kvDim] each. */
export interface KvCacheBuffer {
  readonly layers: number;
  readonly capacity: number;
  readonly kvDim: number;
}

/** An uploaded ternary matrix W = t · β, [rows = out, cols = in]. */
export interface TernaryHandle {
  readonly rows: number;
  readonly cols: number;
}

/** An uploaded full-precision vector (norm weights), [length]. */
export interface VectorHandle {
  readonly length: number;
}

/** An uploaded full-precision matrix (embedding / lm_head), [rows, cols]. */
export interface MatrixHandle {
  readonly rows: number;
  readonly cols: number;
}

/** out[t] = table[tokenIds[t]]. out: [T, d]; table: [V, d]; ids already checked to be in [0, V). */
export interface EmbedArgs {
  readonly out: ActivationBuffer;
  readonly table: MatrixHandle;
  readonly tokenIds: Int32Array;
}

/** out = RMS(x; weight) per row (formats §4.2). out, x: [T, K] (may alias); weight: [K]. */
export interface RmsnormArgs {
  readonly out: ActivationBuffer;
  readonly x: ActivationBuffer;
  readonly weight: VectorHandle;
  readonly eps: number;
}

/** Quantises x with out.scheme (per-token absmax int8, or Q8_K blocks in float32 as llama.cpp). out, x: [T, K]. */
export interface QuantizeActivationsArgs {
  readonly out: QuantizedBuffer;
  readonly x: ActivationBuffer;
}

/**
 * out[t, j] = (Σ_i x.q[t, i] · t_ji) · β / x.s[t] for 'per-token', or β · Σ_b x.d[t, b] · Σ_{i ∈ b} x.q[t, i] · t_ji for
 * 'q8k'. out: [T, N]; w: [N, K]; x: [T, K]. Integer sums exact.
 */
export interface TernaryMatmulArgs {
  readonly out: ActivationBuffer;
  readonly w: TernaryHandle;
  readonly x: QuantizedBuffer;
}

/** out[t, j] = β · Σ_i x[t, i] · t_ji with unquantised activations (llama.cpp's F16/F32 path). out: [T, N]; x: [T, K]. */
export interface TernaryMatmulFloatArgs {
  readonly out: ActivationBuffer;
  readonly w: TernaryHandle;
  readonly x: ActivationBuffer;
}

/** Half-split RoPE in place (formats §4.3). x: [T, H · headDim]; row t is at position startPos + t (startPos ≥ 0). */
export interface RopeArgs {
  readonly x: ActivationBuffer;
  readonly startPos: number;
  readonly headDim: number;
  readonly theta: number;
}

/**
 * Appends k, v to `cache` layer `layer` at positions startPos.., then causal GQA attention (formats §4.2 step 4).
 * out, q: [T, H · D]; k, v: [T, Hkv · D].
 */
export interface AttentionArgs {
  readonly out: ActivationBuffer;
  readonly q: ActivationBuffer;
  readonly k: ActivationBuffer;
  readonly v: ActivationBuffer;
  readonly cache: KvCacheBuffer;
  readonly layer: number;
  readonly startPos: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
}

/** out = act(gate) ⊙ up, act = relu² or SiLU (formats §4.2 step 8). All [T, F]; out may alias gate or up. */
export interface GatedArgs {
  readonly out: ActivationBuffer;
  readonly gate: ActivationBuffer;
  readonly up: ActivationBuffer;
}

/** out = a + b. All [T, d]; out may alias a or b. */
export interface AddArgs {
  readonly out: ActivationBuffer;
  readonly a: ActivationBuffer;
  readonly b: ActivationBuffer;
}

/** out[t − fromRow] = table · x[t] for t ≥ fromRow (0 ≤ fromRow < T), full precision. out: [T − fromRow, V]; x: [T, d]; table: [V, d]. */
export interface LmHeadArgs {
  readonly out: ActivationBuffer;
  readonly x: ActivationBuffer;
  readonly table: MatrixHandle;
  readonly fromRow: number;
}

/** Every op, by name, with its arguments. */
export interface OpArgs {
  embed: EmbedArgs;
  rmsnorm: RmsnormArgs;
  quantizeActivations: QuantizeActivationsArgs;
  ternaryMatmul: TernaryMatmulArgs;
  ternaryMatmulFloat: TernaryMatmulFloatArgs;
  rope: RopeArgs;
  attention: AttentionArgs;
  reluSqMul: GatedArgs;
  siluMul: GatedArgs;
  add: AddArgs;
  lmHead: LmHeadArgs;
}

export type OpName = keyof OpArgs;

export const OP_NAMES: readonly OpName[] = [
  'embed',
  'rmsnorm',
  'quantizeActivations',
  'ternaryMatmul',
  'ternaryMatmulFloat',
  'rope',
  'attention',
  'reluSqMul',
  'siluMul',
  'add',
  'lmHead',
];

/** A backend's op table: every OpName is required, so a missing op is a compile error. */
export type BackendOps = { readonly [K in OpName]: (args: OpArgs[K]) => void };
