/**
 * The wasm kernels' ternary layout (measured fastest in Node 20, ../shared reference wasm-kernels.md): rows in groups
 * of four, interleaved every 16 bytes; each 16-byte block covers 64 weights of one row, byte i holding the codes of
 * weights 64b + 16j + i at bits 2j (j = 0..3), code = t + 1. Rows pad to a multiple of 4 and columns to a multiple
 * of 64 with t = 0 (code 1), which contributes Σ x over the padding — zero, since padded activations are zero.
 */
import { gather2BitFields, ternaryRowBytes } from '../../formats/ternary-rows.js';
import type { TernaryMatrix } from '../../model/weights.js';

export interface InterleavedTernary {
  readonly groups: number;
  readonly kblocks: number;
  readonly bytes: Uint8Array;
}

/** Row groups and 64-column blocks of a matrix in this layout; it takes groups · kblocks · 64 bytes. */
export function interleavedShape(m: { rows: number; cols: number }): { groups: number; kblocks: number } {
  return { groups: Math.ceil(m.rows / 4), kblocks: Math.ceil(m.cols / 64) };
}

/** Repacks `m` into `bytes` (by default a new array; the wasm backend passes its heap, saving a copy). */
export function interleaveTernary(m: TernaryMatrix, bytes?: Uint8Array): InterleavedTernary {
  const { groups, kblocks } = interleavedShape(m);
  bytes ??= new Uint8Array(groups * kblocks * 64);
  bytes.fill(0x55); // every code 1 (t = 0)
  const rowBytes = ternaryRowBytes(m.cols);
  const fullBlocks = Math.floor(m.cols / 64);
  const row = new Int8Array(64);
  for (let r = 0; r < m.rows; r++) {
    const src = r * rowBytes;
    const dst = (g: number, b: number): number => ((g * kblocks + b) * 4 + (r & 3)) * 16;
    // Whole blocks straight from the packed bytes: column 16j + i of a block is packed byte 4j + (i >> 2), bits
    // 2(i & 3). So packed bytes q, 4 + q, 8 + q, 12 + q give bytes 4q .. 4q + 3 of the block: a 4 × 4 transpose of
    // 2-bit fields, done on one 32-bit word.
    const packed = m.packed;
    for (let b = 0; b < fullBlocks; b++) {
      const base = dst(r >> 2, b);
      const p = src + 16 * b;
      for (let q = 0; q < 4; q++) {
        const w = packed[p + q] | (packed[p + 4 + q] << 8) | (packed[p + 8 + q] << 16) | (packed[p + 12 + q] << 24);
        bytes[base + 4 * q] = gather2BitFields(w);
        bytes[base + 4 * q + 1] = gather2BitFields(w >>> 2);
        bytes[base + 4 * q + 2] = gather2BitFields(w >>> 4);
        bytes[base + 4 * q + 3] = gather2BitFields(w >>> 6);
      }
    }
    if (fullBlocks < kblocks) {
      // The last, partial block: unpack, padding t = 0.
      row.fill(0);
      for (let c = fullBlocks * 64; c < m.cols; c++) row[c - fullBlocks * 64] = ((m.packed[src + (c >> 2)] >> (2 * (c & 3))) & 3) - 1;
      const base = dst(r >> 2, fullBlocks);
      for (let i = 0; i < 16; i++) {
        let byte = 0;
        for (let j = 0; j < 4; j++) byte |= (row[16 * j + i] + 1) << (2 * j);
        bytes[base + i] = byte;
      }
    }
  }
  return { groups, kblocks, bytes };
}

