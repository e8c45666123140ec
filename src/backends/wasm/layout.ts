/**
 * The wasm kernels' ternary layout (measured fastest in Node 20, ../shared reference wasm-kernels.md): rows in groups
 * of four, interleaved every 16 bytes; each 16-byte block covers 64 weights of one row, byte i holding the codes of
 * weights 64b + 16j + i at bits 2j (j = 0..3), code = t + 1. Rows pad to a multiple of 4 and columns to a multiple
 * of 64 with t = 0 (code 1), which contributes Σ x over the padding — zero, since padded activations are zero.
 */
import { unpackTernaryRow } from '../../formats/ternary-rows.js';
import type { TernaryMatrix } from '../../model/weights.js';

export interface InterleavedTernary {
  readonly groups: number;
  readonly kblocks: number;
  readonly bytes: Uint8Array;
}

export function interleaveTernary(m: TernaryMatrix): InterleavedTernary {
  const groups = Math.ceil(m.rows / 4);
  const kblocks = Math.ceil(m.cols / 64);
  const bytes = new Uint8Array(groups * kblocks * 64).fill(0x55); // every code 1 (t = 0)
  const row = new Int8Array(kblocks * 64);
  for (let r = 0; r < m.rows; r++) {
    row.fill(0);
    unpackTernaryRow(row, m.packed, r, m.cols);
    const g = r >> 2;
    const lane = r & 3;
    for (let b = 0; b < kblocks; b++) {
      const base = ((g * kblocks + b) * 4 + lane) * 16;
      for (let i = 0; i < 16; i++) {
        let byte = 0;
        for (let j = 0; j < 4; j++) byte |= (row[64 * b + 16 * j + i] + 1) << (2 * j);
        bytes[base + i] = byte;
      }
    }
  }
  return { groups, kblocks, bytes };
}

/** t of weight (r, c) in the interleaved layout (for the slow float paths). */
export function ternaryAt(bytes: Uint8Array, kblocks: number, r: number, c: number): number {
  const b = c >> 6;
  const j = (c >> 4) & 3;
  const i = c & 15;
  return ((bytes[((((r >> 2) * kblocks + b) * 4 + (r & 3)) * 16) + i] >> (2 * j)) & 3) - 1;
}
