/**
 * RoPE angles for the native kernels, computed here exactly as the reference computes them (float64
 * p · (1 / base^(2i / D)), Math.cos / Math.sin), so the native rotation differs from the reference only by the
 * float32 rounding of its results. Tables grow by doubling as positions advance; a table a pending program still
 * uses stays alive through the program's references.
 */
import type { NativeAddon } from './addon.js';
import { NativeBlock } from './buffers.js';

export interface RopeTable {
  readonly positions: number;
  readonly cos: NativeBlock;
  readonly sin: NativeBlock;
}

export class RopeTables {
  private readonly tables = new Map<string, RopeTable>();
  constructor(private readonly addon: NativeAddon) {}

  /** A table [positions][D / 2] with at least `positions` rows for this head size and base. */
  covering(headDim: number, theta: number, positions: number): RopeTable {
    const key = `${headDim}/${theta}`;
    const have = this.tables.get(key);
    if (have !== undefined && have.positions >= positions) return have;
    const rows = Math.max(positions, 2 * (have?.positions ?? 256));
    const half = headDim / 2;
    const cos = new NativeBlock(this.addon, rows * half * 8);
    const sin = new NativeBlock(this.addon, rows * half * 8);
    const c = new Float64Array(cos.buffer);
    const s = new Float64Array(sin.buffer);
    for (let i = 0; i < half; i++) {
      const invFreq = 1 / Math.pow(theta, (2 * i) / headDim);
      for (let p = 0; p < rows; p++) {
        const angle = p * invFreq;
        c[p * half + i] = Math.cos(angle);
        s[p * half + i] = Math.sin(angle);
      }
    }
    const table = { positions: rows, cos, sin };
    this.tables.set(key, table);
    return table;
  }
}
