/**
 * The float32 ops of a layer on the GPU (formats §4.2–4.3): RMSNorm, RoPE from float64-built cos/sin tables (WGSL's
 * sin/cos are only accurate on [−π, π]), the gated activations, the residual add, the KV cache append and causal
 * GQA attention. Every program writes a fresh output except the cache append, which writes into the cache tensor.
 */
import { GROUP_WGSL, WG } from './quantize-wgsl.js';
import { DECODE_ROWS, DECODE_SLICES, TOKEN_TILE } from './ternary-wgsl.js';

/** One workgroup per row: out = x / sqrt(mean(x²) + eps) · weight. uniforms: T, K, eps. inputs: x, weight. */
export const RMSNORM = /* wgsl */ `
${GROUP_WGSL}
fn main(index: i32) {
  let row = groupIndex();
  let live = row < uniforms.T;
  var ss = 0.0;
  if (live) {
    for (var i = i32(localIndex); i < uniforms.K; i += ${WG}) { let v = x[row * uniforms.K + i]; ss += v * v; }
  }
  let r = 1.0 / sqrt(groupSum(ss) / f32(uniforms.K) + uniforms.eps);
  if (live) {
    for (var i = i32(localIndex); i < uniforms.K; i += ${WG}) { result[row * uniforms.K + i] = x[row * uniforms.K + i] * r * weight[i]; }
  }
}
`;

/** One thread per rotated pair. uniforms: T, H, D, startPos. inputs: x [T, H·D], cs [positions, D] (cos | sin halves). */
export const ROPE = /* wgsl */ `
fn main(index: i32) {
  let half = uniforms.D / 2;
  if (index >= uniforms.T * uniforms.H * half) { return; }
  let i = index % half;
  let th = index / half; // t · H + h
  let t = th / uniforms.H;
  let base = th * uniforms.D;
  let p = (uniforms.startPos + t) * uniforms.D;
  let c = cs[p + i];
  let s = cs[p + half + i];
  let x0 = x[base + i];
  let x1 = x[base + i + half];
  result[base + i] = x0 * c - x1 * s;
  result[base + i + half] = x1 * c + x0 * s;
}
`;

/** Elementwise: uniforms: n. inputs: a, b. */
export const SILU_MUL = /* wgsl */ `
fn main(index: i32) {
  if (index >= uniforms.n) { return; }
  let g = a[index];
  result[index] = g / (1.0 + exp(-g)) * b[index];
}
`;
export const RELU_SQ_MUL = /* wgsl */ `
fn main(index: i32) {
  if (index >= uniforms.n) { return; }
  let g = max(a[index], 0.0);
  result[index] = g * g * b[index];
}
`;
export const ADD = /* wgsl */ `
fn main(index: i32) {
  if (index >= uniforms.n) { return; }
  result[index] = a[index] + b[index];
}
`;

/**
 * Writes rows [startPos, startPos + T) of a cache layer [capacity, kvDim] from src [T, kvDim]; the output binding
 * is the cache tensor itself, every other row is left as it is. uniforms: T, kvDim, startPos.
 */
export const KV_APPEND = /* wgsl */ `
fn main(index: i32) {
  if (index >= uniforms.T * uniforms.kvDim) { return; }
  result[uniforms.startPos * uniforms.kvDim + index] = src[index];
}
`;

/**
 * Causal GQA attention in three barrier-free passes (a workgroup barrier per score, as a fused kernel needs, costs
 * more than the arithmetic on small heads). Rows are query rows t0 .. t0 + Tc − 1 of the call; key j is visible to
 * row t when j ≤ startPos + t. scores: [Tc, H, n] with n = startPos + T.
 * - ATTENTION_SCORES: one thread per (row, head, key): q · k / √D, or −∞ past the causal limit.
 * - ATTENTION_SOFTMAX: one thread per (row, head): max, exp and sum in float32, then normalised in place.
 * - ATTENTION_OUTPUT: one thread per (row, head, dim): Σ_j p_j · v_j.
 * uniforms: t0, Tc, H, Hkv, D, startPos, n, scale.
 */
export const ATTENTION_SCORES = /* wgsl */ `
fn main(index: i32) {
  if (index >= uniforms.Tc * uniforms.H * uniforms.n) { return; }
  let j = index % uniforms.n;
  let th = index / uniforms.n;
  let h = th % uniforms.H;
  let t = uniforms.t0 + th / uniforms.H;
  if (j > uniforms.startPos + t) { result[index] = -3.0e38; return; }
  let kvh = h / (uniforms.H / uniforms.Hkv);
  let qb = (t * uniforms.H + h) * uniforms.D;
  let kb = j * uniforms.Hkv * uniforms.D + kvh * uniforms.D;
  var dot = 0.0;
  for (var d = 0; d < uniforms.D; d++) { dot += q[qb + d] * kc[kb + d]; }
  result[index] = dot * uniforms.scale;
}
`;
export const ATTENTION_SOFTMAX = /* wgsl */ `
fn main(index: i32) {
  if (index >= uniforms.Tc * uniforms.H) { return; }
  let t = uniforms.t0 + index / uniforms.H;
  let visible = uniforms.startPos + t + 1;
  let base = index * uniforms.n;
  var m = -3.0e38;
  for (var j = 0; j < visible; j++) { m = max(m, scores[base + j]); }
  var sum = 0.0;
  for (var j = 0; j < visible; j++) { sum += exp(scores[base + j] - m); }
  for (var j = 0; j < uniforms.n; j++) {
    result[base + j] = select(0.0, exp(scores[base + j] - m) / sum, j < visible);
  }
}
`;
export const ATTENTION_OUTPUT = /* wgsl */ `
fn main(index: i32) {
  if (index >= uniforms.Tc * uniforms.H * uniforms.D) { return; }
  let d = index % uniforms.D;
  let th = index / uniforms.D;
  let h = th % uniforms.H;
  let t = uniforms.t0 + th / uniforms.H;
  let kvh = h / (uniforms.H / uniforms.Hkv);
  let visible = uniforms.startPos + t + 1;
  let pb = th * uniforms.n;
  let vb = kvh * uniforms.D + d;
  let kvDim = uniforms.Hkv * uniforms.D;
  var acc = 0.0;
  for (var j = 0; j < visible; j++) { acc += probs[pb + j] * vc[j * kvDim + vb]; }
  result[(t * uniforms.H + h) * uniforms.D + d] = acc;
}
`;

/**
 * lm_head / embedding tables, stored word-major like the ternary weights: [d, V] for float32, [dw, V] for float16
 * and bfloat16 with two values of a row per i32 word (rows padded to even length), widened exactly in registers.
 * The lm_head reads them coalesced (one thread per vocabulary row); the embedding gathers with a stride.
 */
export function tableReadWgsl(storage: 'f32' | 'f16' | 'bf16'): string {
  if (storage === 'f32') return 'fn tableAt(v: i32, i: i32) -> f32 { return table[i * uniforms.V + v]; }';
  const widen =
    storage === 'f16'
      ? 'unpack2x16float(word)'
      : 'vec2<f32>(bitcast<f32>(word << 16u), bitcast<f32>(word & 0xffff0000u))';
  return `fn tablePair(v: i32, w: i32) -> vec2<f32> {
  let word = bitcast<u32>(table[w * uniforms.V + v]);
  return ${widen};
}
fn tableAt(v: i32, i: i32) -> f32 {
  let pair = tablePair(v, i / 2);
  return select(pair.x, pair.y, (i & 1) == 1);
}`;
}

/** Thread (tile, v): vocabulary row v for 8 token rows. uniforms: T (rows of out), V, d, dw, fromRow. inputs: table, x [*, d]. */
export function lmHeadWgsl(storage: 'f32' | 'f16' | 'bf16'): string {
  const body =
    storage === 'f32'
      ? `for (var i = 0; i < uniforms.d; i++) {
      let e = table[i * uniforms.V + v];
      for (var k = 0; k < tn; k++) { acc[k] += e * x[(uniforms.fromRow + t0 + k) * uniforms.d + i]; }
    }`
      : `for (var w = 0; w < uniforms.dw; w++) {
      let p = tablePair(v, w);
      let i = 2 * w;
      let second = i + 1 < uniforms.d;
      for (var k = 0; k < tn; k++) {
        let xb = (uniforms.fromRow + t0 + k) * uniforms.d + i;
        acc[k] += p.x * x[xb];
        if (second) { acc[k] += p.y * x[xb + 1]; }
      }
    }`;
  return /* wgsl */ `
${tableReadWgsl(storage)}
fn main(index: i32) {
  let v = index % uniforms.V;
  let t0 = (index / uniforms.V) * ${TOKEN_TILE};
  if (t0 >= uniforms.T) { return; }
  let tn = min(${TOKEN_TILE}, uniforms.T - t0);
  var acc: array<f32, ${TOKEN_TILE}>;
  ${body}
  for (var k = 0; k < tn; k++) { result[(t0 + k) * uniforms.V + v] = acc[k]; }
}
`;
}

/**
 * The single-token lm_head split over d as the decode product is (ternary-wgsl.ts): 32 vocabulary rows × 8 slices
 * per workgroup. uniforms and inputs as lmHeadWgsl, T = 1.
 */
export function lmHeadDecodeWgsl(storage: 'f32' | 'f16' | 'bf16'): string {
  const body =
    storage === 'f32'
      ? `for (var i = slice; i < uniforms.d; i += ${DECODE_SLICES}) { acc += table[i * uniforms.V + v] * x[xb + i]; }`
      : `for (var w = slice; w < uniforms.dw; w += ${DECODE_SLICES}) {
      let p = tablePair(v, w);
      acc += p.x * x[xb + 2 * w];
      if (2 * w + 1 < uniforms.d) { acc += p.y * x[xb + 2 * w + 1]; }
    }`;
  return /* wgsl */ `
${tableReadWgsl(storage)}
var<workgroup> partial: array<f32, ${DECODE_ROWS * DECODE_SLICES}>;
fn main(index: i32) {
  let lane = i32(localIndex);
  let r = lane % ${DECODE_ROWS};
  let slice = lane / ${DECODE_ROWS};
  let v = (index / ${DECODE_ROWS * DECODE_SLICES}) * ${DECODE_ROWS} + r;
  let xb = uniforms.fromRow * uniforms.d;
  var acc = 0.0;
  if (v < uniforms.V) {
    ${body}
  }
  partial[lane] = acc;
  workgroupBarrier();
  if (slice == 0 && v < uniforms.V) {
    var sum = 0.0;
    for (var k = 0; k < ${DECODE_SLICES}; k++) { sum += partial[k * ${DECODE_ROWS} + r]; }
    result[v] = sum;
  }
}
`;
}

/** out[t, i] = table[ids[t], i]. uniforms: T, V, d, dw. inputs: table, ids. */
export function embedWgsl(storage: 'f32' | 'f16' | 'bf16'): string {
  return /* wgsl */ `
${tableReadWgsl(storage)}
fn main(index: i32) {
  if (index >= uniforms.T * uniforms.d) { return; }
  let t = index / uniforms.d;
  result[index] = tableAt(ids[t], index % uniforms.d);
}
`;
}
