/**
 * RoPE angles for GPU backends, as the reference computes them (θ = p · (1 / base^(2i/D)), float64), stored float32
 * as rows [positions, headDim] of (cos | sin) halves: the table the webgpu and cuda kernels read (their own sin/cos
 * are not accurate on unreduced angles).
 */
export function ropeCosSinRows(headDim: number, base: number, positions: number): Float32Array {
  const half = headDim / 2;
  const invFreq = Float64Array.from({ length: half }, (_, i) => 1 / Math.pow(base, (2 * i) / headDim));
  const data = new Float32Array(positions * headDim);
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < half; i++) {
      const theta = p * invFreq[i];
      data[p * headDim + i] = Math.cos(theta);
      data[p * headDim + half + i] = Math.sin(theta);
    }
  }
  return data;
}
