/**
 * TQ2_0 (formats §2.4; ggml type 35): blocks of 256 elements in 66 bytes, `qs[64]` of 2-bit codes then `d` (f16).
 * Element e of a block: half = e div 128, l = (e mod 128) div 32, m = e mod 32; its code sits in byte 32·half + m
 * at bits 2·l (low bits first). Value = (code − 1)·d. Checked against ggml-quants.c `dequantize_row_tq2_0` /
 * `quantize_row_tq2_0_ref` (llama.cpp; the same code in bitnet.cpp's fork).
 *
 * Rows are [rows, cols] row-major with cols = ne0, a multiple of 256, so blocks simply follow the flat order.
 * Exact: the ternary values and each block's d come back bit for bit.
 */
import { f16ToNumber, numberToF16 } from '../float16.js';
import { gather2BitFields } from '../ternary-rows.js';

/** Elements per TQ2_0 block. */
export const TQ2_0_BLOCK_ELEMS = 256;
/** Bytes per TQ2_0 block: qs[64] + f16 d. */
export const TQ2_0_BLOCK_BYTES = 66;

/** Result of {@link decodeTq2_0}. */
export interface Tq2_0Decoded {
  /** rows × cols values t = code − 1. In {−1, 0, +1}, except code 3, which ggml decodes as +2 (kept as 2). */
  readonly ternary: Int8Array;
  /** Each block's d decoded from f16, one per 256 elements in flat (row-major) order. */
  readonly blockScales: Float32Array;
  /** Flat index of the first element stored as code 3 (no writer produces it), or −1. */
  readonly badCode: number;
}

/** Decodes `rows × cols` TQ2_0 elements. Throws RangeError if cols is not a multiple of 256 or the length is wrong. */
export function decodeTq2_0(bytes: Uint8Array, rows: number, cols: number): Tq2_0Decoded {
  const nBlocks = checkShape('decodeTq2_0', rows, cols);
  if (bytes.length !== nBlocks * TQ2_0_BLOCK_BYTES) {
    throw new RangeError(`decodeTq2_0: ${rows}×${cols} needs ${nBlocks * TQ2_0_BLOCK_BYTES} bytes, got ${bytes.length}`);
  }
  const ternary = new Int8Array(nBlocks * TQ2_0_BLOCK_ELEMS);
  const blockScales = new Float32Array(nBlocks);
  let badCode = -1;
  for (let b = 0; b < nBlocks; b++) {
    const src = b * TQ2_0_BLOCK_BYTES;
    const dst = b * TQ2_0_BLOCK_ELEMS;
    for (let half = 0; half < 2; half++) {
      for (let l = 0; l < 4; l++) {
        const shift = 2 * l;
        const out = dst + 128 * half + 32 * l;
        const inp = src + 32 * half;
        for (let m = 0; m < 32; m++) {
          const code = (bytes[inp + m] >> shift) & 3;
          if (code === 3 && badCode < 0) badCode = out + m;
          ternary[out + m] = code - 1;
        }
      }
    }
    blockScales[b] = f16ToNumber(bytes[src + 64] | (bytes[src + 65] << 8));
  }
  return { ternary, blockScales, badCode };
}

/** Result of {@link tq2_0ToTernaryRows}. */
export interface Tq2_0Rows {
  /** The codes in the engine's ternary-rows layout (src/formats/ternary-rows.ts), rows × cols / 4 bytes. */
  readonly packed: Uint8Array;
  /** Each block's d, as in {@link decodeTq2_0}. */
  readonly blockScales: Float32Array;
  /** 1 for blocks holding a non-zero weight (a code other than 1), else 0. */
  readonly blockNonzero: Uint8Array;
  /** As in {@link decodeTq2_0}. */
  readonly badCode: number;
}

/**
 * TQ2_0 straight into the ternary-rows layout, without the byte-per-weight form of decodeTq2_0 (a quarter of the
 * memory, and faster: loading a large model is mostly this). Both layouts store code = t + 1 in 2 bits, so this is
 * a bit permutation: the byte at 32·half + m of a block holds elements 128·half + 32·l + m (l = 0..3) at bits 2·l,
 * which land in packed byte (block start + 128·half + 32·l + m) / 4 at bits 2·(m mod 4). Blocks never straddle rows
 * (cols is a multiple of 256, so row-major blocks and row-major packed bytes follow the same flat order).
 *
 * Four source bytes m = 4k .. 4k+3 fill the packed bytes 32·half + 8·l + k for l = 0..3, each from field l of all
 * four: a 4 × 4 transpose of 2-bit fields, done on a 32-bit word (`gather2BitFields`), so each packed byte is written
 * once — 3× faster than or-ing codes in one at a time (2B-4T: 5 s of a 10 s load).
 */
export function tq2_0ToTernaryRows(bytes: Uint8Array, rows: number, cols: number): Tq2_0Rows {
  const nBlocks = checkShape('tq2_0ToTernaryRows', rows, cols);
  if (bytes.length !== nBlocks * TQ2_0_BLOCK_BYTES) {
    throw new RangeError(`tq2_0ToTernaryRows: ${rows}×${cols} needs ${nBlocks * TQ2_0_BLOCK_BYTES} bytes, got ${bytes.length}`);
  }
  const packed = new Uint8Array(nBlocks * 64);
  const out32 = new Uint32Array(packed.buffer); // on little-endian hosts byte k of a word is packed byte 4·word + k
  const outView = new DataView(packed.buffer);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const blockScales = new Float32Array(nBlocks);
  const blockNonzero = new Uint8Array(nBlocks);
  const halves = halfTable();
  let badCode = -1;
  for (let b = 0; b < nBlocks; b++) {
    const src = b * TQ2_0_BLOCK_BYTES;
    let nonzero = 0;
    let bad = 0;
    for (let half = 0; half < 2; half++) {
      // Words k = 0..7 of this half: source bytes 4k .. 4k+3; packed byte 32·half + 8·l + k takes field l of word k.
      for (let k0 = 0; k0 < 8; k0 += 4) {
        const at = src + 32 * half + 4 * k0;
        const w0 = view.getUint32(at, true);
        const w1 = view.getUint32(at + 4, true);
        const w2 = view.getUint32(at + 8, true);
        const w3 = view.getUint32(at + 12, true);
        nonzero |= (w0 ^ 0x55555555) | (w1 ^ 0x55555555) | (w2 ^ 0x55555555) | (w3 ^ 0x55555555);
        bad |= (w0 & (w0 >>> 1)) | (w1 & (w1 >>> 1)) | (w2 & (w2 >>> 1)) | (w3 & (w3 >>> 1));
        const word = (b * 64 + 32 * half + k0) >> 2;
        for (let l = 0; l < 4; l++) {
          const s2 = 2 * l;
          const v = gather2BitFields(w0 >>> s2) | (gather2BitFields(w1 >>> s2) << 8) | (gather2BitFields(w2 >>> s2) << 16) | (gather2BitFields(w3 >>> s2) << 24);
          if (LITTLE_ENDIAN) out32[word + 2 * l] = v;
          else outView.setUint32(4 * (word + 2 * l), v, true);
        }
      }
    }
    if ((bad & 0x55555555) !== 0 && badCode < 0) badCode = firstCode3(bytes, b);
    blockNonzero[b] = nonzero === 0 ? 0 : 1;
    blockScales[b] = halves[bytes[src + 64] | (bytes[src + 65] << 8)];
  }
  return { packed, blockScales, blockNonzero, badCode };
}

/** The smallest flat index in block b whose code is 3 (bytes are not stored in element order). */
function firstCode3(bytes: Uint8Array, b: number): number {
  for (let e = 0; e < TQ2_0_BLOCK_ELEMS; e++) {
    const v = bytes[b * TQ2_0_BLOCK_BYTES + 32 * (e >> 7) + (e & 31)];
    if (((v >> (2 * ((e >> 5) & 3))) & 3) === 3) return b * TQ2_0_BLOCK_ELEMS + e;
  }
  return -1;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

let halfValues: Float32Array | null = null;
/** Every half's value, built on first use (256 KiB): a block scale is one lookup instead of a decode. */
function halfTable(): Float32Array {
  if (halfValues === null) {
    halfValues = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfValues[h] = f16ToNumber(h);
  }
  return halfValues;
}

/**
 * Encodes ternary values (each −1, 0 or +1; RangeError otherwise) with every block's d = f16(scale), rounded to
 * nearest even. ggml's own quantizer would write d = 0 for an all-zero block; this writes f16(scale) everywhere.
 */
export function encodeTq2_0(ternary: Int8Array, rows: number, cols: number, scale: number): Uint8Array {
  const nBlocks = checkShape('encodeTq2_0', rows, cols);
  if (ternary.length !== rows * cols) throw new RangeError(`encodeTq2_0: expected ${rows * cols} values, got ${ternary.length}`);
  const out = new Uint8Array(nBlocks * TQ2_0_BLOCK_BYTES);
  const d = numberToF16(scale);
  for (let b = 0; b < nBlocks; b++) {
    const dst = b * TQ2_0_BLOCK_BYTES;
    const src = b * TQ2_0_BLOCK_ELEMS;
    for (let e = 0; e < TQ2_0_BLOCK_ELEMS; e++) {
      const t = ternary[src + e];
      if (t < -1 || t > 1) throw new RangeError(`encodeTq2_0: value ${t} at index ${src + e} is not ternary`);
      out[dst + 32 * (e >> 7) + (e & 31)] |= (t + 1) << (2 * ((e >> 5) & 3));
    }
    out[dst + 64] = d & 0xff;
    out[dst + 65] = d >> 8;
  }
  return out;
}

function checkShape(fn: string, rows: number, cols: number): number {
  if (!Number.isSafeInteger(rows) || rows < 0 || !Number.isSafeInteger(cols) || cols < 0) {
    throw new RangeError(`${fn}: bad shape ${rows}×${cols}`);
  }
  if (cols % TQ2_0_BLOCK_ELEMS !== 0) throw new RangeError(`${fn}: cols = ${cols} is not a multiple of 256`);
  return (rows * cols) / TQ2_0_BLOCK_ELEMS;
}
