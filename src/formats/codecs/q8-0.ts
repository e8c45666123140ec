/**
 * Q8_0 (formats §2.3; ggml type 8): blocks of 32 elements in 34 bytes, `d` (f16) then `qs[32]` (int8);
 * value = qs·d. Written from ggml-quants.c `dequantize_row_q8_0` and `quantize_row_q8_0_ref` (llama.cpp), whose
 * float32 steps are reproduced with Math.fround: amax = max|x|, d = amax/127, id = d ? 1/d : 0, stored d = f16(d)
 * (nearest even), qs = roundf(x·id), i.e. round half AWAY from zero, computed with the unrounded float32 d.
 * (One float32 operation on float32 operands, done in float64 and then rounded, is correctly rounded.)
 */
import { f16ToNumber, numberToF16 } from '../float16.js';

/** Elements per Q8_0 block. */
export const Q8_0_BLOCK_ELEMS = 32;
/** Bytes per Q8_0 block: f16 d + 32 int8. */
export const Q8_0_BLOCK_BYTES = 34;

/** Decodes n values (n a multiple of 32, bytes exactly n/32 blocks; RangeError otherwise) to float32. */
export function decodeQ8_0(bytes: Uint8Array, n: number): Float32Array {
  if (!Number.isSafeInteger(n) || n < 0 || n % Q8_0_BLOCK_ELEMS !== 0) throw new RangeError(`decodeQ8_0: n = ${n} is not a multiple of 32`);
  const nBlocks = n / Q8_0_BLOCK_ELEMS;
  if (bytes.length !== nBlocks * Q8_0_BLOCK_BYTES) throw new RangeError(`decodeQ8_0: ${n} values need ${nBlocks * Q8_0_BLOCK_BYTES} bytes, got ${bytes.length}`);
  const out = new Float32Array(n);
  for (let b = 0; b < nBlocks; b++) {
    const src = b * Q8_0_BLOCK_BYTES;
    const d = f16ToNumber(bytes[src] | (bytes[src + 1] << 8));
    const dst = b * Q8_0_BLOCK_ELEMS;
    for (let j = 0; j < Q8_0_BLOCK_ELEMS; j++) {
      const q = (bytes[src + 2 + j] << 24) >> 24; // int8
      out[dst + j] = q * d; // the Float32Array store is ggml's float32 product
    }
  }
  return out;
}

/** ggml's reference quantizer. values.length must be a multiple of 32 and every value finite (RangeError otherwise). */
export function encodeQ8_0(values: Float32Array): Uint8Array {
  const n = values.length;
  if (n % Q8_0_BLOCK_ELEMS !== 0) throw new RangeError(`encodeQ8_0: length ${n} is not a multiple of 32`);
  const nBlocks = n / Q8_0_BLOCK_ELEMS;
  const out = new Uint8Array(nBlocks * Q8_0_BLOCK_BYTES);
  for (let b = 0; b < nBlocks; b++) {
    const src = b * Q8_0_BLOCK_ELEMS;
    let amax = 0;
    for (let j = 0; j < Q8_0_BLOCK_ELEMS; j++) {
      const v = values[src + j];
      if (!Number.isFinite(v)) throw new RangeError(`encodeQ8_0: value ${v} at index ${src + j} is not finite`);
      amax = Math.max(amax, Math.abs(v));
    }
    const d = Math.fround(amax / 127);
    const id = d !== 0 ? Math.fround(1 / d) : 0;
    const h = numberToF16(d);
    const dst = b * Q8_0_BLOCK_BYTES;
    out[dst] = h & 0xff;
    out[dst + 1] = h >> 8;
    for (let j = 0; j < Q8_0_BLOCK_ELEMS; j++) {
      const x0 = Math.fround(values[src + j] * id);
      out[dst + 2 + j] = roundHalfAway(x0) & 0xff;
    }
  }
  return out;
}

/** C roundf: nearest integer, halfway cases away from zero (exact here: |x| < 2^24 after scaling by 1/d). */
function roundHalfAway(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}
