/**
 * Σ a[offset .. offset + n) in numpy's pairwise order (numpy's `pairwise_sum`: eight running partial sums for
 * blocks up to 128 elements, halves at multiples of 8 above that).
 *
 * Why not a plain loop: float64 sums in different orders differ in the last bit, and with BF16 weights an int8
 * activation x·127/max|x| often lands exactly on k + ½ (15 times in the first 256 held-out tokens of the
 * shipped model). There the last bit decides the rounding, so the reference reproduces numpy's order.
 * See docs/numerics.md.
 */
export function pairwiseSum(a: Float64Array, offset: number, n: number): number {
  if (n < 8) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += a[offset + i];
    return sum;
  }
  if (n <= 128) {
    let r0 = a[offset], r1 = a[offset + 1], r2 = a[offset + 2], r3 = a[offset + 3];
    let r4 = a[offset + 4], r5 = a[offset + 5], r6 = a[offset + 6], r7 = a[offset + 7];
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      const o = offset + i;
      r0 += a[o]; r1 += a[o + 1]; r2 += a[o + 2]; r3 += a[o + 3];
      r4 += a[o + 4]; r5 += a[o + 5]; r6 += a[o + 6]; r7 += a[o + 7];
    }
    let sum = (r0 + r1 + (r2 + r3)) + (r4 + r5 + (r6 + r7));
    for (; i < n; i++) sum += a[offset + i];
    return sum;
  }
  let half = Math.floor(n / 2);
  half -= half % 8;
  return pairwiseSum(a, offset, half) + pairwiseSum(a, offset + half, n - half);
}
