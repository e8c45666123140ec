/**
 * Ternary products on the GPU. Weights w: i32 [Kw, N], word-major: word c of every row, then word c + 1, …; each
 * u32 word holds 16 columns of its row as 2-bit codes (code = t + 1, low bits first: the ternary-rows layout read
 * four bytes at a time, rows padded to whole words). One thread per output row: neighbouring threads read
 * neighbouring words (coalesced), the activation words are the same for all (broadcast), and no barrier is needed.
 * - TERNARY_INT8: q i32 [T, Kw · 4] (four int8 per word, zero beyond K, so padded codes meet q = 0);
 *   y[t, j] = (Σ q · t) · β / s[t] with the integer sum exact (dot4I8Packed) and the division correctly rounded.
 * - TERNARY_FLOAT: x f32 [T, K]; y[t, j] = β · Σ x · t in float32.
 */
import { EXACT_WGSL } from './exact-wgsl.js';

/** Four 2-bit codes (one byte of a word) → four int8 lanes holding code − 1. */
const CODES_WGSL = /* wgsl */ `
fn codesToI8(word: u32, byteIndex: u32) -> u32 {
  let c = (word >> (8u * byteIndex)) & 0xffu;
  let spread = (c & 3u) | ((c & 0xcu) << 6u) | ((c & 0x30u) << 12u) | ((c & 0xc0u) << 18u);
  return ((spread | 0x80808080u) - 0x01010101u) ^ 0x80808080u;
}
`;

/** dot4I8Packed where the WGSL language feature exists, else the same sum from sign-extended bytes. */
export function dot4Wgsl(native: boolean): string {
  if (native) return 'fn dot4(a: u32, b: u32) -> i32 { return dot4I8Packed(a, b); }';
  return `fn dot4(a: u32, b: u32) -> i32 {
  let x = bitcast<i32>(a);
  let y = bitcast<i32>(b);
  return extractBits(x, 0u, 8u) * extractBits(y, 0u, 8u) + extractBits(x, 8u, 8u) * extractBits(y, 8u, 8u) +
    extractBits(x, 16u, 8u) * extractBits(y, 16u, 8u) + extractBits(x, 24u, 8u) * extractBits(y, 24u, 8u);
}`;
}

/** Tokens per thread in the products: each weight word is decoded once for up to this many tokens. */
export const TOKEN_TILE = 8;

/**
 * uniforms: T, N, Kw, beta. inputs: w, q, stats ([T, 2], s in column 1). Thread (tile, j) computes row j for
 * tokens tile · 8 .. tile · 8 + 7; threads of one tile are neighbours in j.
 */
export function ternaryInt8Wgsl(nativeDot4: boolean): string {
  return /* wgsl */ `
${EXACT_WGSL}
${CODES_WGSL}
${dot4Wgsl(nativeDot4)}
fn main(index: i32) {
  let j = index % uniforms.N;
  let t0 = (index / uniforms.N) * ${TOKEN_TILE};
  if (t0 >= uniforms.T) { return; }
  let tn = min(${TOKEN_TILE}, uniforms.T - t0);
  var acc: array<i32, ${TOKEN_TILE}>;
  for (var c = 0; c < uniforms.Kw; c++) {
    let word = bitcast<u32>(w[c * uniforms.N + j]);
    let w0 = codesToI8(word, 0u);
    let w1 = codesToI8(word, 1u);
    let w2 = codesToI8(word, 2u);
    let w3 = codesToI8(word, 3u);
    for (var k = 0; k < tn; k++) {
      let xq = ((t0 + k) * uniforms.Kw + c) * 4;
      acc[k] += dot4(w0, bitcast<u32>(q[xq])) + dot4(w1, bitcast<u32>(q[xq + 1])) + dot4(w2, bitcast<u32>(q[xq + 2])) + dot4(w3, bitcast<u32>(q[xq + 3]));
    }
  }
  for (var k = 0; k < tn; k++) {
    result[(t0 + k) * uniforms.N + j] = divRne(f32(acc[k]) * uniforms.beta, stats[(t0 + k) * 2 + 1]);
  }
}
`;
}

/**
 * Decode rows split over K as well: a workgroup is 32 rows × 8 slices of the words (256 threads, WebGPU's default
 * limit); thread (slice, r) sums words c ≡ slice (mod 8) of row r (the 32 threads of a slice read 32 neighbouring
 * words, 128 bytes), then slice 0 adds the 8 partial sums. A single-token product has too few rows to keep a GPU busy with one thread per row (measured on an
 * H100: 182 µs for 6912 × 2560 that way). uniforms: T (= 1), N, Kw, beta. inputs as ternaryInt8Wgsl.
 */
export const DECODE_ROWS = 32;
export const DECODE_SLICES = 8;
export function ternaryInt8DecodeWgsl(nativeDot4: boolean): string {
  return /* wgsl */ `
${EXACT_WGSL}
${CODES_WGSL}
${dot4Wgsl(nativeDot4)}
var<workgroup> partial: array<i32, ${DECODE_ROWS * DECODE_SLICES}>;
fn main(index: i32) {
  let lane = i32(localIndex);
  let r = lane % ${DECODE_ROWS};
  let slice = lane / ${DECODE_ROWS};
  let j = (index / ${DECODE_ROWS * DECODE_SLICES}) * ${DECODE_ROWS} + r;
  var acc = 0;
  if (j < uniforms.N) {
    for (var c = slice; c < uniforms.Kw; c += ${DECODE_SLICES}) {
      let word = bitcast<u32>(w[c * uniforms.N + j]);
      let xq = c * 4;
      acc += dot4(codesToI8(word, 0u), bitcast<u32>(q[xq])) + dot4(codesToI8(word, 1u), bitcast<u32>(q[xq + 1])) +
        dot4(codesToI8(word, 2u), bitcast<u32>(q[xq + 2])) + dot4(codesToI8(word, 3u), bitcast<u32>(q[xq + 3]));
    }
  }
  partial[lane] = acc;
  workgroupBarrier();
  if (slice == 0 && j < uniforms.N) {
    var sum = 0;
    for (var k = 0; k < ${DECODE_SLICES}; k++) { sum += partial[k * ${DECODE_ROWS} + r]; }
    result[j] = divRne(f32(sum) * uniforms.beta, stats[1]);
  }
}
`;
}

/** uniforms: T, N, K, Kw, beta. inputs: w, x. Threads as in the int8 product. */
export const TERNARY_FLOAT = /* wgsl */ `
fn main(index: i32) {
  let j = index % uniforms.N;
  let t0 = (index / uniforms.N) * ${TOKEN_TILE};
  if (t0 >= uniforms.T) { return; }
  let tn = min(${TOKEN_TILE}, uniforms.T - t0);
  var acc: array<f32, ${TOKEN_TILE}>;
  for (var c = 0; c < uniforms.Kw; c++) {
    let word = bitcast<u32>(w[c * uniforms.N + j]);
    for (var b = 0; b < 16; b++) {
      let i = c * 16 + b;
      let code = (word >> (2u * u32(b))) & 3u;
      if (i < uniforms.K && code != 1u) {
        for (var k = 0; k < tn; k++) {
          let v = x[(t0 + k) * uniforms.K + i];
          acc[k] += select(-v, v, code == 2u);
        }
      }
    }
  }
  for (var k = 0; k < tn; k++) { result[(t0 + k) * uniforms.N + j] = acc[k] * uniforms.beta; }
}
`;
