/**
 * How the wasm backend stores a full-precision table (embedding / lm_head): as bfloat16 or IEEE half when every
 * value is exactly one (a GGUF F16 `token_embd`, a BF16 safetensors embedding), else as float32. The lm_head reads
 * the whole table every token, so 2 bytes a weight instead of 4 halves its cost; nothing is rounded (the kernels
 * widen exactly, lm-head-wat.ts). Infinities and NaNs keep float32: the half kernel does not widen them.
 */
import type { TableStorage } from '../../kernels/wasm/lm-head-wat.js';
import type { WasmMatrix } from './buffers.js';
import type { WasmHeap } from './heap.js';

/** The narrowest storage holding every value of `data` exactly. */
export function chooseTableStorage(data: Float32Array): TableStorage {
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  let bf16 = true;
  let f16 = true;
  for (let i = 0; i < bits.length && (bf16 || f16); i++) {
    const b = bits[i];
    if ((b & 0x7f800000) === 0x7f800000) return 'f32';
    if (bf16 && (b & 0xffff) !== 0) bf16 = false;
    if (f16 && f32BitsToF16(b) < 0) f16 = false;
  }
  return bf16 ? 'bf16' : f16 ? 'f16' : 'f32';
}

/** The half with the same value as the float32 with these bits, or −1 when there is none (finite inputs). */
export function f32BitsToF16(b: number): number {
  const sign = (b >>> 16) & 0x8000;
  const e = (b >>> 23) & 0xff;
  const m = b & 0x7fffff;
  if (e === 0 && m === 0) return sign;
  if (e >= 113 && e <= 142) return (m & 0x1fff) === 0 ? sign | ((e - 112) << 10) | (m >>> 13) : -1;
  if (e >= 103 && e <= 112) {
    // A half subnormal m_h · 2^-24 is the float32 (2^23 + m) · 2^(e - 150): m_h = (2^23 + m) >> (126 − e).
    const full = 0x800000 | m;
    const shift = 126 - e;
    return (full & ((1 << shift) - 1)) === 0 ? sign | (full >>> shift) : -1;
  }
  return -1;
}

/** True when no half is ±∞ or NaN (exponent bits all ones). */
export function allFiniteF16(h: Uint16Array): boolean {
  for (let i = 0; i < h.length; i++) if ((h[i] & 0x7c00) === 0x7c00) return false;
  return true;
}

/** Writes `data` into `dst` (u16 elements) in `storage` ('f16' or 'bf16'), which must hold every value exactly. */
export function encodeTable(data: Float32Array, storage: 'f16' | 'bf16', dst: Uint16Array): void {
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  if (storage === 'bf16') {
    for (let i = 0; i < bits.length; i++) dst[i] = bits[i] >>> 16;
  } else {
    for (let i = 0; i < bits.length; i++) dst[i] = f32BitsToF16(bits[i]);
  }
}

/** Row `r` of a heap table, widened to float32 into `dst` (the embedding gather). */
export function decodeTableRow(heap: WasmHeap, table: WasmMatrix, r: number, dst: Float32Array): void {
  const d = table.cols;
  if (table.storage === 'i8') {
    const q = heap.i8.subarray(table.offset + r * (table.rowBytes as number), table.offset + r * (table.rowBytes as number) + d);
    const s = heap.f32[((table.scalesOffset as number) >> 2) + r];
    for (let i = 0; i < d; i++) dst[i] = q[i] * s;
    return;
  }
  if (table.storage === 'f32') {
    dst.set(heap.f32.subarray((table.offset >> 2) + r * d, (table.offset >> 2) + (r + 1) * d));
    return;
  }
  const src = heap.u16.subarray((table.offset >> 1) + r * d, (table.offset >> 1) + (r + 1) * d);
  const bits = new Uint32Array(dst.buffer, dst.byteOffset, d);
  if (table.storage === 'bf16') {
    for (let i = 0; i < d; i++) bits[i] = src[i] << 16;
  } else {
    // As the lm_head kernel widens: sign-extend, shift, mask, then an exact multiply by 2^112 (lm-head-wat.ts).
    for (let i = 0; i < d; i++) bits[i] = (((src[i] << 16) >> 16) << 13) & 0x8fffe000;
    for (let i = 0; i < d; i++) dst[i] *= 2 ** 112;
  }
}

/**
 * The lossy int8 form of table rows, or of the activations entering the int8 lm_head (BackendOptions.lmHead =
 * 'int8'): each row r as q = round(v / s_r) with s_r = max|row| / 127 (float32), into `q` (rows of `rowBytes`,
 * padding left as it is: zero) and `scales`. `row(r, dst)` supplies the float32 values of row r, so a 16-bit table
 * is never widened whole.
 */
export function quantizeTableRows(rows: number, cols: number, row: (r: number, dst: Float32Array) => void, q: Int8Array, rowBytes: number, scales: Float32Array): void {
  const v = new Float32Array(cols);
  for (let r = 0; r < rows; r++) {
    row(r, v);
    let amax = 0;
    for (let i = 0; i < cols; i++) amax = Math.max(amax, Math.abs(v[i]));
    const s = Math.fround(amax / 127);
    scales[r] = s;
    const base = r * rowBytes;
    if (s === 0) continue;
    for (let i = 0; i < cols; i++) q[base + i] = Math.max(-127, Math.min(127, Math.round(v[i] / s)));
  }
}
