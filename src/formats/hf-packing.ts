/**
 * The offline-packed ternary layout of microsoft/bitnet-b1.58-2B-4T (formats §2.8): uint8 `[R, in]` with
 * R = out/4; original row r lives in packed row `r mod R` at bit offset `2·(r div R)`, as `code = t + 1`.
 * The packing axis is the OUTPUT dimension in four contiguous quarters, low bits first.
 */

/**
 * Unpacks to ternary values `t ∈ {−1, 0, +1}`, row-major `[out, in]`. Returns the index of the first code 3
 * (which no writer produces) as `badCode`, or −1, so the caller can name the tensor in its error.
 */
export function unpackHfTernary(packed: Uint8Array, outFeatures: number, inFeatures: number): { ternary: Int8Array; badCode: number } {
  const R = packed.length / inFeatures;
  const ternary = new Int8Array(outFeatures * inFeatures);
  let badCode = -1;
  for (let r = 0; r < outFeatures; r++) {
    const src = (r % R) * inFeatures;
    const shift = 2 * Math.floor(r / R);
    for (let c = 0; c < inFeatures; c++) {
      const code = (packed[src + c] >> shift) & 3;
      if (code === 3 && badCode < 0) badCode = r * inFeatures + c;
      ternary[r * inFeatures + c] = code - 1;
    }
  }
  return { ternary, badCode };
}

/** Inverse of unpackHfTernary (out must be a multiple of 4): `packed[i][c] = Σ_k (t[kR + i][c] + 1) << 2k`. */
export function packHfTernary(ternary: Int8Array, outFeatures: number, inFeatures: number): Uint8Array {
  const R = outFeatures / 4;
  const packed = new Uint8Array(R * inFeatures);
  for (let r = 0; r < outFeatures; r++) {
    const dst = (r % R) * inFeatures;
    const shift = 2 * Math.floor(r / R);
    for (let c = 0; c < inFeatures; c++) packed[dst + c] |= (ternary[r * inFeatures + c] + 1) << shift;
  }
  return packed;
}
