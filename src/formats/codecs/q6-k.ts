/**
 * Q6_K (ggml type 14; often the token embedding, formats §8): blocks of 256 elements in 210 bytes,
 * `ql[128]` (low 4 bits), `qh[64]` (high 2 bits), `scales[16]` (int8), `d` (f16) at byte 208.
 * Written from ggml-quants.c `dequantize_row_q6_K` (llama.cpp; unchanged in bitnet.cpp's fork) and bit-exact with
 * it: each half of 128 elements uses ql[64·h ..], qh[32·h ..], scales[8·h ..]; for l < 32 and is = l div 16,
 *   y[l]      = d·sc[is]·q1,  q1 = (ql[l]    & 15 | (qh[l]      & 3) << 4) − 32
 *   y[l + 32] = d·sc[is+2]·q2, q2 = (ql[l+32] & 15 | (qh[l] >> 2 & 3) << 4) − 32
 *   y[l + 64] = d·sc[is+4]·q3, q3 = (ql[l]    >> 4 | (qh[l] >> 4 & 3) << 4) − 32
 *   y[l + 96] = d·sc[is+6]·q4, q4 = (ql[l+32] >> 4 | (qh[l] >> 6 & 3) << 4) − 32
 * C evaluates d·sc·q left to right in float32; each product is rounded with Math.fround, though both are in fact
 * exact: d has at most 11 significant bits, |sc| ≤ 128 at most 7, |q| ≤ 32 at most 5, so 23 ≤ 24 bits.
 */
import { f16ToNumber } from '../float16.js';

/** Elements per Q6_K block. */
export const Q6_K_BLOCK_ELEMS = 256;
/** Bytes per Q6_K block: ql[128] + qh[64] + scales[16] + f16 d. */
export const Q6_K_BLOCK_BYTES = 210;

/** Decodes n values (n a multiple of 256, bytes exactly n/256 blocks; RangeError otherwise) to float32. */
export function decodeQ6K(bytes: Uint8Array, n: number): Float32Array {
  if (!Number.isSafeInteger(n) || n < 0 || n % Q6_K_BLOCK_ELEMS !== 0) throw new RangeError(`decodeQ6K: n = ${n} is not a multiple of 256`);
  const nBlocks = n / Q6_K_BLOCK_ELEMS;
  if (bytes.length !== nBlocks * Q6_K_BLOCK_BYTES) throw new RangeError(`decodeQ6K: ${n} values need ${nBlocks * Q6_K_BLOCK_BYTES} bytes, got ${bytes.length}`);
  const out = new Float32Array(n);
  const f = Math.fround;
  for (let b = 0; b < nBlocks; b++) {
    const blk = b * Q6_K_BLOCK_BYTES;
    const d = f16ToNumber(bytes[blk + 208] | (bytes[blk + 209] << 8));
    for (let h = 0; h < 2; h++) {
      const ql = blk + 64 * h;
      const qh = blk + 128 + 32 * h;
      const sc = blk + 192 + 8 * h;
      const y = b * Q6_K_BLOCK_ELEMS + 128 * h;
      for (let l = 0; l < 32; l++) {
        const is = l >> 4;
        const lo = bytes[ql + l];
        const hi = bytes[ql + l + 32];
        const q = bytes[qh + l];
        const q1 = ((lo & 15) | ((q & 3) << 4)) - 32;
        const q2 = ((hi & 15) | (((q >> 2) & 3) << 4)) - 32;
        const q3 = ((lo >> 4) | (((q >> 4) & 3) << 4)) - 32;
        const q4 = ((hi >> 4) | (((q >> 6) & 3) << 4)) - 32;
        out[y + l] = f(f(d * int8(bytes[sc + is])) * q1);
        out[y + l + 32] = f(f(d * int8(bytes[sc + is + 2])) * q2);
        out[y + l + 64] = f(f(d * int8(bytes[sc + is + 4])) * q3);
        out[y + l + 96] = f(f(d * int8(bytes[sc + is + 6])) * q4);
      }
    }
  }
  return out;
}

function int8(u: number): number {
  return (u << 24) >> 24;
}
