/**
 * Activation quantisation on the GPU, deciding every rounding as the reference does (formats §3.1, §3.3):
 * - per-token: a = max|x| per row, s = 127 / max(a, 1e-5), q = clamp(roundHalfEven(fl64(x · fl64(s)))). The
 *   float32 estimate x · (127 / a) decides q unless it lies within 1e-3 of a .5 (its error is below 1e-4); those
 *   elements, and rows under the 1e-5 clamp, are recomputed exactly in emulated float64 (exact-wgsl.ts).
 * - Q8_K: per 256-block, m = the element of largest |x| (the first on ties), iscale = −127 / m, q = min(127,
 *   roundHalfEven(iscale · x)), d = 1 / iscale, all float32 operations (divisions correctly rounded here).
 * Each scheme is two programs: a row/block statistics pass, then a pass writing q four int8 to a u32 word.
 * Inputs and outputs: x f32 [T, K]; stats f32 [T, 2] (a, s) or [T · K/256, 2] (iscale, d); q i32 [T, Kp / 4].
 */
import { EXACT_WGSL } from './exact-wgsl.js';

export const WG = 64;

/** Workgroup-wide reduction scaffolding shared by the row kernels. */
export const GROUP_WGSL = /* wgsl */ `
fn groupIndex() -> i32 {
  return i32((workgroupId.z * numWorkgroups.y + workgroupId.y) * numWorkgroups.x + workgroupId.x);
}
var<workgroup> red: array<f32, ${WG}>;
fn groupMax(v: f32) -> f32 {
  let lane = localIndex;
  red[lane] = v;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (lane < s) { red[lane] = max(red[lane], red[lane + s]); }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}
fn groupSum(v: f32) -> f32 {
  let lane = localIndex;
  red[lane] = v;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (lane < s) { red[lane] = red[lane] + red[lane + s]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}
`;

/** One workgroup per row: result [T, 2] = (max|x|, s as float32). uniforms: T, K, sClamped (f32 of 127/1e-5). */
export const PER_TOKEN_STATS = /* wgsl */ `
${EXACT_WGSL}
${GROUP_WGSL}
fn main(index: i32) {
  let row = groupIndex();
  let live = row < uniforms.T;
  var m = 0.0;
  if (live) {
    for (var i = i32(localIndex); i < uniforms.K; i += ${WG}) { m = max(m, abs(x[row * uniforms.K + i])); }
  }
  m = groupMax(m);
  if (live && localIndex == 0u) {
    result[row * 2] = m;
    // a ≥ 1e-5 (float64) exactly when the float32 a exceeds float32(1e-5) = 0x3727c5ac.
    result[row * 2 + 1] = select(uniforms.sClamped, divRne(127.0, m), bitcast<u32>(m) > 0x3727c5acu);
  }
}
`;

/**
 * One thread per output word (four columns). uniforms: T, K, words (Kp / 4), sHi, sLo (bit patterns as i32) and
 * sE: the float64 s = 127 / 1e-5 used for clamped rows.
 */
export const PER_TOKEN_PACK = /* wgsl */ `
${EXACT_WGSL}
fn quantizeOne(v: f32, a: f32, clamped: bool) -> i32 {
  let ax = abs(v);
  var q = 0u;
  if (clamped) {
    q = roundScaledExact(ax, bitcast<u32>(uniforms.sHi), bitcast<u32>(uniforms.sLo), uniforms.sE);
  } else {
    let t = ax * (127.0 / a);
    if (abs(fract(t) - 0.5) > 1e-3) {
      q = u32(round(t));
    } else {
      let s = scaleMantissa(a);
      q = roundScaledExact(ax, u32(s.x), u32(s.y), s.z);
    }
  }
  return select(i32(min(q, 127u)), -i32(min(q, 128u)), v < 0.0);
}
fn main(index: i32) {
  if (index >= uniforms.T * uniforms.words) { return; }
  let row = index / uniforms.words;
  let col = (index % uniforms.words) * 4;
  let a = stats[row * 2];
  let clamped = bitcast<u32>(a) <= 0x3727c5acu;
  var word = 0u;
  for (var k = 0; k < 4; k++) {
    if (col + k < uniforms.K) {
      let q = quantizeOne(x[row * uniforms.K + col + k], a, clamped);
      word = word | ((bitcast<u32>(q) & 0xffu) << (8u * u32(k)));
    }
  }
  result[index] = bitcast<i32>(word);
}
`;

/** One workgroup per 256-block: result [T · K/256, 2] = (iscale, d), both 0 for an all-zero block. uniforms: blocks. */
export const Q8K_STATS = /* wgsl */ `
${EXACT_WGSL}
${GROUP_WGSL}
var<workgroup> pick: array<vec2<f32>, ${WG}>; // (|x|, index) of each lane's first largest element
fn main(index: i32) {
  let block = groupIndex();
  let live = block < uniforms.blocks;
  var best = vec2<f32>(0.0, 0.0);
  if (live) {
    for (var j = 0; j < 4; j++) {
      let i = i32(localIndex) * 4 + j;
      let v = abs(x[block * 256 + i]);
      if (v > best.x) { best = vec2<f32>(v, f32(i)); }
    }
  }
  pick[localIndex] = best;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (localIndex < s) {
      let o = pick[localIndex + s];
      let b = pick[localIndex];
      // The larger |x| wins; on equal |x| the earlier index (llama.cpp scans forward and keeps the first).
      if (o.x > b.x || (o.x == b.x && o.x > 0.0 && o.y < b.y)) { pick[localIndex] = o; }
    }
    workgroupBarrier();
  }
  if (live && localIndex == 0u) {
    let top = pick[0];
    if (top.x == 0.0) {
      result[block * 2] = 0.0;
      result[block * 2 + 1] = 0.0;
    } else {
      let iscale = divRne(-127.0, x[block * 256 + i32(top.y)]);
      result[block * 2] = iscale;
      result[block * 2 + 1] = divRne(1.0, iscale);
    }
  }
}
`;

/** One thread per output word. uniforms: T, K, words. */
export const Q8K_PACK = /* wgsl */ `
fn main(index: i32) {
  if (index >= uniforms.T * uniforms.words) { return; }
  let row = index / uniforms.words;
  let col = (index % uniforms.words) * 4;
  var word = 0u;
  for (var k = 0; k < 4; k++) {
    let c = col + k;
    if (c < uniforms.K) {
      let iscale = stats[(row * (uniforms.K / 256) + c / 256) * 2];
      let q = i32(min(round(iscale * x[row * uniforms.K + c]), 127.0));
      word = word | ((bitcast<u32>(q) & 0xffu) << (8u * u32(k)));
    }
  }
  result[index] = bitcast<i32>(word);
}
`;

/** x' = float32(q · d) per element (the oracle's Q8_K form), [T, K]. uniforms: T, K, words. */
export const Q8K_DEQUANTIZE = /* wgsl */ `
fn main(index: i32) {
  if (index >= uniforms.T * uniforms.K) { return; }
  let row = index / uniforms.K;
  let c = index % uniforms.K;
  let word = bitcast<u32>(q[row * uniforms.words + c / 4]);
  let v = f32(extractBits(bitcast<i32>(word), 8u * u32(c % 4), 8u));
  result[index] = v * stats[(row * (uniforms.K / 256) + c / 256) * 2 + 1];
}
`;
