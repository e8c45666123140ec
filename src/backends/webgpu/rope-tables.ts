/** RoPE cos/sin tables (rope-cos-sin.ts) as tfjs tensors, grown geometrically when a later position is asked for. */
import type { Tensor } from '@tensorflow/tfjs-core';
import { ropeCosSinRows } from '../rope-cos-sin.js';

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
    const data = ropeCosSinRows(headDim, base, n);
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
