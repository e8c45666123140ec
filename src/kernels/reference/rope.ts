/**
 * RoPE, half-split ("NeoX", HF rotate_half) form (formats §4.3), in place:
 *   θ_i(p) = p · base^(−2i/D);  x'_i = x_i cos θ_i − x_{i+D/2} sin θ_i,  x'_{i+D/2} = x_{i+D/2} cos θ_i + x_i sin θ_i.
 * x: [T, H·D] float64; token t sits at absolute position startPos + t. Angles in float64.
 */
export function rope(x: Float64Array, T: number, H: number, D: number, startPos: number, base: number): void {
  const half = D / 2;
  for (let t = 0; t < T; t++) {
    const p = startPos + t;
    for (let i = 0; i < half; i++) {
      // HF: inv_freq = 1 / base^(2i / D).
      const theta = p * (1 / Math.pow(base, (2 * i) / D));
      const cos = Math.cos(theta);
      const sin = Math.sin(theta);
      for (let h = 0; h < H; h++) {
        const a = (t * H + h) * D + i;
        const x0 = x[a];
        const x1 = x[a + half];
        x[a] = x0 * cos - x1 * sin;
        x[a + half] = x1 * cos + x0 * sin;
      }
    }
  }
}
