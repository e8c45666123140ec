/**
 * RoPE cos/sin tables on the GPU, built in float64 on the host as the reference computes the angles
 * (θ = p · (1 / base^(2i/D))), stored float32 as [positions, D] rows of (cos | sin) halves, and grown
 * geometrically when a position beyond the table is asked for.
 */
import type { Tensor } from '@tensorflow/tfjs-core';

type Tf = typeof import('@tensorflow/tfjs-core');

export class RopeTables {
  private readonly tables = new Map<string, { positions: number; tensor: Tensor }>();

  constructor(private readonly tf: Tf) {}

  /** The table for (headDim, base) covering positions [0, positions). */
  table(headDim: number, base: number, positions: number): Tensor {
    const key = `${headDim}/${base}`;
    const have = this.tables.get(key);
    if (have !== undefined && have.positions >= positions) return have.tensor;
    const n = Math.max(positions, 2 * (have?.positions ?? 0), 256);
    const half = headDim / 2;
    const invFreq = Float64Array.from({ length: half }, (_, i) => 1 / Math.pow(base, (2 * i) / headDim));
    const data = new Float32Array(n * headDim);
    for (let p = 0; p < n; p++) {
      for (let i = 0; i < half; i++) {
        const theta = p * invFreq[i];
        data[p * headDim + i] = Math.cos(theta);
        data[p * headDim + half + i] = Math.sin(theta);
      }
    }
    have?.tensor.dispose();
    const tensor = this.tf.tensor2d(data, [n, headDim], 'float32');
    this.tables.set(key, { positions: n, tensor });
    return tensor;
  }

  dispose(): void {
    for (const t of this.tables.values()) t.tensor.dispose();
    this.tables.clear();
  }
}
