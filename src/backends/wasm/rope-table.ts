/**
 * Half-split RoPE (formats §4.3) with cos/sin cached per position: the angles are those of the reference kernel
 * (θ = p · (1 / base^(2i/D)), float64), computed once per position instead of once per call, then applied to
 * float32 rows in float64 and stored as float32.
 */
export class RopeTable {
  private readonly half: number;
  private readonly invFreq: Float64Array;
  private cos = new Float64Array(0);
  private sin = new Float64Array(0);
  private positions = 0;

  constructor(private readonly headDim: number, base: number) {
    this.half = headDim / 2;
    this.invFreq = Float64Array.from({ length: this.half }, (_, i) => 1 / Math.pow(base, (2 * i) / headDim));
  }

  /** Makes positions [0, n) available, growing the tables geometrically. */
  private ensure(n: number): void {
    if (n <= this.positions) return;
    const positions = Math.max(n, 2 * this.positions, 64);
    const cos = new Float64Array(positions * this.half);
    const sin = new Float64Array(positions * this.half);
    cos.set(this.cos);
    sin.set(this.sin);
    for (let p = this.positions; p < positions; p++) {
      for (let i = 0; i < this.half; i++) {
        const theta = p * this.invFreq[i];
        cos[p * this.half + i] = Math.cos(theta);
        sin[p * this.half + i] = Math.sin(theta);
      }
    }
    this.cos = cos;
    this.sin = sin;
    this.positions = positions;
  }

  /** Rotates x: [T, H · D] in place; row t is at position startPos + t. */
  apply(x: Float32Array, T: number, H: number, startPos: number): void {
    const { half, headDim: D } = this;
    this.ensure(startPos + T);
    for (let t = 0; t < T; t++) {
      const c = (startPos + t) * half;
      for (let h = 0; h < H; h++) {
        const base = (t * H + h) * D;
        for (let i = 0; i < half; i++) {
          const cos = this.cos[c + i];
          const sin = this.sin[c + i];
          const x0 = x[base + i];
          const x1 = x[base + i + half];
          x[base + i] = x0 * cos - x1 * sin;
          x[base + i + half] = x1 * cos + x0 * sin;
        }
      }
    }
  }
}
