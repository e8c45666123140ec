/**
 * TQ1_0 (formats §2.5; ggml type 34): blocks of 256 elements in 54 bytes: `qs[48]` (five base-3 digits per byte),
 * `qh[4]` (four digits per byte), `d` (f16). Value = (trit − 1)·d. Checked against ggml-quants.c
 * `quantize_row_tq1_0_ref` / `dequantize_row_tq1_0` (llama.cpp; the same code in bitnet.cpp's fork).
 *
 * Storage of a block's elements:
 * - qs[m], m < 32: elements m + 32n, n = 0..4 (digit n = 0 most significant);
 * - qs[32 + m], m < 16: elements 160 + m + 16n, n = 0..4;
 * - qh[j], j < 4: elements 240 + j + 4n, n = 0..3, as a 4-digit number times 3 (lowest digit 0).
 * A byte holds ceil(v·256/243) for the digits' value v; digit n decodes as ((s·3^n mod 256)·3) >> 8.
 *
 * Hostile bytes: that formula yields 0..2 for every byte and every n, so decoding is total and matches ggml's
 * dequantizer for all 256 byte values. 13 byte values (qs) and 175 (qh: also any byte whose fifth digit is not 0)
 * are not what the encoder would write for the digits they decode to; decode reports the first such byte as
 * `nonCanonical` so a strict loader can refuse, and otherwise decodes it exactly as llama.cpp does.
 */
import { f16ToNumber, numberToF16 } from '../float16.js';

/** Elements per TQ1_0 block. */
export const TQ1_0_BLOCK_ELEMS = 256;
/** Bytes per TQ1_0 block: qs[48] + qh[4] + f16 d. */
export const TQ1_0_BLOCK_BYTES = 54;

const POW3 = [1, 3, 9, 27, 81] as const;

/** Byte value of the digits whose base-3 value is v (0..242): the fixed-point pre-division of formats §2.5. */
function packDigits(v: number): number {
  return Math.floor((v * 256 + 242) / 243);
}

/** DIGIT_T[5s + n] = (digit n of byte s) − 1, for every byte value s. */
const DIGIT_T = new Int8Array(256 * 5);
/** 1 where a qs byte / a qh byte is exactly what the encoder writes for the digits it decodes to. */
const QS_CANONICAL = new Uint8Array(256);
const QH_CANONICAL = new Uint8Array(256);
for (let s = 0; s < 256; s++) {
  let v = 0;
  for (let n = 0; n < 5; n++) {
    const digit = ((((s * POW3[n]) & 0xff) * 3) >> 8) as number;
    DIGIT_T[5 * s + n] = digit - 1;
    v = v * 3 + digit;
  }
  QS_CANONICAL[s] = packDigits(v) === s ? 1 : 0;
  QH_CANONICAL[s] = QS_CANONICAL[s] === 1 && v % 3 === 0 ? 1 : 0;
}

/** Result of {@link decodeTq1_0}. */
export interface Tq1_0Decoded {
  /** rows × cols values in {−1, 0, +1}. */
  readonly ternary: Int8Array;
  /** Each block's d decoded from f16, one per 256 elements in flat (row-major) order. */
  readonly blockScales: Float32Array;
  /** Offset in `bytes` of the first qs/qh byte that is not a canonical encoding (see the module note), or −1. */
  readonly nonCanonical: number;
}

/** Decodes `rows × cols` TQ1_0 elements. Throws RangeError if cols is not a multiple of 256 or the length is wrong. */
export function decodeTq1_0(bytes: Uint8Array, rows: number, cols: number): Tq1_0Decoded {
  const nBlocks = checkShape('decodeTq1_0', rows, cols);
  if (bytes.length !== nBlocks * TQ1_0_BLOCK_BYTES) {
    throw new RangeError(`decodeTq1_0: ${rows}×${cols} needs ${nBlocks * TQ1_0_BLOCK_BYTES} bytes, got ${bytes.length}`);
  }
  const ternary = new Int8Array(nBlocks * TQ1_0_BLOCK_ELEMS);
  const blockScales = new Float32Array(nBlocks);
  let nonCanonical = -1;
  for (let b = 0; b < nBlocks; b++) {
    const src = b * TQ1_0_BLOCK_BYTES;
    const dst = b * TQ1_0_BLOCK_ELEMS;
    for (let m = 0; m < 32; m++) {
      const s = bytes[src + m];
      if (nonCanonical < 0 && QS_CANONICAL[s] === 0) nonCanonical = src + m;
      for (let n = 0; n < 5; n++) ternary[dst + m + 32 * n] = DIGIT_T[5 * s + n];
    }
    for (let m = 0; m < 16; m++) {
      const s = bytes[src + 32 + m];
      if (nonCanonical < 0 && QS_CANONICAL[s] === 0) nonCanonical = src + 32 + m;
      for (let n = 0; n < 5; n++) ternary[dst + 160 + m + 16 * n] = DIGIT_T[5 * s + n];
    }
    for (let j = 0; j < 4; j++) {
      const s = bytes[src + 48 + j];
      if (nonCanonical < 0 && QH_CANONICAL[s] === 0) nonCanonical = src + 48 + j;
      for (let n = 0; n < 4; n++) ternary[dst + 240 + j + 4 * n] = DIGIT_T[5 * s + n];
    }
    blockScales[b] = f16ToNumber(bytes[src + 52] | (bytes[src + 53] << 8));
  }
  return { ternary, blockScales, nonCanonical };
}

/** Encodes ternary values (each −1, 0 or +1; RangeError otherwise) with every block's d = f16(scale). */
export function encodeTq1_0(ternary: Int8Array, rows: number, cols: number, scale: number): Uint8Array {
  const nBlocks = checkShape('encodeTq1_0', rows, cols);
  if (ternary.length !== rows * cols) throw new RangeError(`encodeTq1_0: expected ${rows * cols} values, got ${ternary.length}`);
  for (let i = 0; i < ternary.length; i++) {
    if (ternary[i] < -1 || ternary[i] > 1) throw new RangeError(`encodeTq1_0: value ${ternary[i]} at index ${i} is not ternary`);
  }
  const out = new Uint8Array(nBlocks * TQ1_0_BLOCK_BYTES);
  const d = numberToF16(scale);
  for (let b = 0; b < nBlocks; b++) {
    const dst = b * TQ1_0_BLOCK_BYTES;
    const src = b * TQ1_0_BLOCK_ELEMS;
    for (let m = 0; m < 32; m++) {
      let v = 0;
      for (let n = 0; n < 5; n++) v = v * 3 + ternary[src + m + 32 * n] + 1;
      out[dst + m] = packDigits(v);
    }
    for (let m = 0; m < 16; m++) {
      let v = 0;
      for (let n = 0; n < 5; n++) v = v * 3 + ternary[src + 160 + m + 16 * n] + 1;
      out[dst + 32 + m] = packDigits(v);
    }
    for (let j = 0; j < 4; j++) {
      let v = 0;
      for (let n = 0; n < 4; n++) v = v * 3 + ternary[src + 240 + j + 4 * n] + 1;
      out[dst + 48 + j] = packDigits(v * 3);
    }
    out[dst + 52] = d & 0xff;
    out[dst + 53] = d >> 8;
  }
  return out;
}

function checkShape(fn: string, rows: number, cols: number): number {
  if (!Number.isSafeInteger(rows) || rows < 0 || !Number.isSafeInteger(cols) || cols < 0) {
    throw new RangeError(`${fn}: bad shape ${rows}×${cols}`);
  }
  if (cols % TQ1_0_BLOCK_ELEMS !== 0) throw new RangeError(`${fn}: cols = ${cols} is not a multiple of 256`);
  return (rows * cols) / TQ1_0_BLOCK_ELEMS;
}
