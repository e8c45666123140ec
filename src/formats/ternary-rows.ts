/**
 * The engine's own 2-bit layout for ternary matrices, the one the reference kernels read. Every file format's
 * ternary tensor (HF packed, TQ1_0, TQ2_0, I2_S) is repacked into it once at load, exactly.
 *
 * Row-major `[rows, cols]`, each row padded to `ceil(cols / 4)` bytes; column c of a row sits in byte `c >> 2`
 * at bit offset `2·(c & 3)` (low bits first) as `code = t + 1`. Packing along the reduction dimension keeps
 * a row's weights contiguous, which is what a dot product streams.
 */

export function ternaryRowBytes(cols: number): number {
  return (cols + 3) >> 2;
}

/** Packs ternary values `t ∈ {−1, 0, +1}` given row-major `[rows, cols]`. */
export function packTernaryRows(ternary: Int8Array, rows: number, cols: number): Uint8Array {
  const rowBytes = ternaryRowBytes(cols);
  const packed = new Uint8Array(rows * rowBytes);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      packed[r * rowBytes + (c >> 2)] |= (ternary[r * cols + c] + 1) << (2 * (c & 3));
    }
  }
  return packed;
}

/** Writes row `row` as ternary values into `out[0 .. cols)`. */
export function unpackTernaryRow(out: Int8Array, packed: Uint8Array, row: number, cols: number): void {
  const base = row * ternaryRowBytes(cols);
  for (let c = 0; c < cols; c++) out[c] = ((packed[base + (c >> 2)] >> (2 * (c & 3))) & 3) - 1;
}

/** The inverse of packTernaryRows: all rows as ternary values, row-major `[rows, cols]`. */
export function unpackTernaryRows(packed: Uint8Array, rows: number, cols: number): Int8Array {
  const t = new Int8Array(rows * cols);
  const row = new Int8Array(cols);
  for (let r = 0; r < rows; r++) {
    unpackTernaryRow(row, packed, r, cols);
    t.set(row, r * cols);
  }
  return t;
}

/**
 * The low 2 bits of each byte of the 32-bit word w, packed into one byte (byte j's at bits 2j). Applied to w >>> 2f
 * it picks field f of four code bytes: the step of the 4 × 4 transposes of 2-bit fields between code layouts.
 */
export function gather2BitFields(w: number): number {
  const x = w & 0x03030303;
  return (x | (x >>> 6) | (x >>> 12) | (x >>> 18)) & 0xff;
}
