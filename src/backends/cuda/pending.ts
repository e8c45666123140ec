/**
 * Launches the cuda backend holds back for a moment so that ops the model runs back to back become one kernel
 * (at decode sizes a launch costs more than the work in it). Three kinds of chain are fused:
 * - row-wise ops (bitnet.cu `row_fused`): an element-wise op (add, relu²·up, silu·up), then an RMSNorm of its
 *   output, then the per-token quantisation of that — e.g. the residual add, the next norm and its quantisation;
 * - products of one quantised input (`ternary_int8_multi`; `ternary_gemm` at prefill sizes): q, k, v or gate, up;
 * - RoPE on q and on k, and the append of k and v to the cache by the attention that follows (`rope_append`).
 * A held launch is issued when the next op cannot join it, and before anything else touches device memory (every
 * other op, read, write, release: the backend calls flush()). Each fused kernel computes what its parts compute
 * alone, bit for bit (bitnet.cu), so fusing changes speed, not results. `enabled: false` issues every launch at once.
 */
import { f32, i32, ptr, type DevicePtr, type KernelArg } from './driver.js';

export type Launch = (name: 'row_fused' | 'ternary_int8' | 'ternary_int8_multi' | 'ternary_row_int8' | 'ternary_gemm' | 'rope_append', grid: number, block: [number, number], shared: number, args: KernelArg[]) => void;

/** bitnet.cu row_fused's element-wise step. */
export const PRE = { none: 0, add: 1, reluSqMul: 2, siluMul: 3 } as const;
export type Pre = (typeof PRE)[keyof typeof PRE];
/** bitnet.cu's ROW_THREADS: row_fused's block size (a row's elements stay in its registers up to 16 a thread). */
const ROW_THREADS = 512;
/** bitnet.cu's ternary_row_int8 takes rows of up to this many weight words (DECODE_LOADS * 4 * WARP: K <= 8192). */
const ROW_PRODUCT_MAX_WORDS = 512;

interface RowChain {
  readonly pre: Pre;
  readonly a: DevicePtr;
  readonly b: DevicePtr;
  /** The element-wise output, or the norm's input when pre is none. */
  readonly x: DevicePtr;
  readonly rows: number;
  readonly cols: number;
  norm: { readonly w: DevicePtr; readonly eps: number; readonly out: DevicePtr } | null;
}

export interface QuantizedInput {
  readonly q: DevicePtr;
  readonly scale: DevicePtr;
  readonly rows: number;
  readonly paddedCols: number;
}
export interface Product {
  readonly w: DevicePtr;
  readonly rows: number;
  readonly scale: number;
  readonly y: DevicePtr;
}

const MAX_PRODUCTS = 3;

/**
 * A RoPE call: `x` (rows × heads × headDim) rotated in place at positions startPos.. from the cos | sin `table`;
 * `pos`: the device address holding startPos (step-launches.ts).
 */
export interface Rope {
  readonly x: DevicePtr;
  readonly heads: number;
  readonly rows: number;
  readonly headDim: number;
  readonly startPos: number;
  readonly pos: DevicePtr;
  readonly table: DevicePtr;
}
/**
 * Where an attention call appends: k and v rows (kvHeads heads) at position `at` of a cache layer of `capacity`
 * positions — keys transposed (kCache: the layer's [kvDim][capacity]), values as rows (vCache: the layer's
 * [capacity][kvDim]); the kernels read `at` from the device (rope's `pos`).
 */
export interface Append {
  readonly k: DevicePtr;
  readonly v: DevicePtr;
  readonly kvHeads: number;
  readonly kCache: DevicePtr;
  readonly vCache: DevicePtr;
  readonly capacity: number;
  readonly at: number;
}

export class PendingLaunches {
  private row: RowChain | null = null;
  private products: { x: QuantizedInput; items: Product[] } | null = null;
  private ropes: Rope[] = [];

  /** `gemmMinTokens`: products of at least that many tokens run on ternary_gemm (null: it is not loaded). */
  constructor(private readonly launch: Launch, readonly enabled: boolean, private readonly gemmMinTokens: number | null = null) {}

  /** out = a (op) b over rows × cols. */
  elementwise(pre: Exclude<Pre, 0>, a: DevicePtr, b: DevicePtr, out: DevicePtr, rows: number, cols: number): void {
    this.flush();
    this.row = { pre, a, b, x: out, rows, cols, norm: null };
    this.settle();
  }

  rmsnorm(x: DevicePtr, w: DevicePtr, eps: number, out: DevicePtr, rows: number, cols: number): void {
    const r = this.row;
    if (r !== null && r.norm === null && r.x === x && r.rows === rows && r.cols === cols) {
      r.norm = { w, eps, out };
    } else {
      this.flush();
      this.row = { pre: PRE.none, a: 0n, b: 0n, x, rows, cols, norm: { w, eps, out } };
    }
    this.settle();
  }

  quantizePerToken(x: DevicePtr, out: QuantizedInput, cols: number): void {
    const r = this.row;
    if (r !== null && (r.norm?.out ?? r.x) === x && r.rows === out.rows && r.cols === cols) {
      this.row = null;
      this.launchRow(r, out);
      return;
    }
    this.flush();
    this.launchRow({ pre: PRE.none, a: 0n, b: 0n, x, rows: out.rows, cols, norm: null }, out);
  }

  product(x: QuantizedInput, p: Product): void {
    const group = this.products;
    // A second write to the same output must land after the first: not in the same launch.
    if (group !== null && group.x.q === x.q && group.items.length < MAX_PRODUCTS && group.items.every((i) => i.y !== p.y)) {
      group.items.push(p);
    } else {
      this.flush();
      this.products = { x, items: [p] };
    }
    this.settle();
  }

  /** RoPE on `r.x`: held, so that q's and k's rotations and the cache append of the attention after them are one launch. */
  rope(r: Rope): void {
    const [held] = this.ropes;
    const joins = this.ropes.length === 1 && held.x !== r.x && held.rows === r.rows && held.headDim === r.headDim && held.pos === r.pos && held.table === r.table;
    if (!joins) this.flush();
    this.ropes.push(r);
    this.settle();
  }

  /**
   * The cache append of an attention call over q and k: fused into the held rotations of q and k when they are what
   * is held (true: done), else everything held is issued first and the caller appends (false).
   */
  appendAfterRope(q: DevicePtr, a: Append): boolean {
    const [rq, rk] = this.ropes;
    if (this.ropes.length === 2 && rq.x === q && rk.x === a.k && rk.heads === a.kvHeads && rk.startPos === a.at) {
      this.ropes = [];
      this.launchRopes(rq, rk, a);
      return true;
    }
    this.flush();
    return false;
  }

  /** Issues whatever is held. */
  flush(): void {
    const r = this.row;
    const g = this.products;
    const ropes = this.ropes;
    this.row = null;
    this.products = null;
    this.ropes = [];
    if (r !== null) this.launchRow(r, null);
    if (g !== null) this.launchProducts(g.x, g.items);
    if (ropes.length > 0) this.launchRopes(ropes[0], ropes[1] ?? null, null);
  }

  private launchRopes(first: Rope, second: Rope | null, append: Append | null): void {
    const half = first.headDim / 2;
    const threads = first.rows * (first.heads + (second?.heads ?? 0)) * half + (append === null ? 0 : first.rows * append.kvHeads * first.headDim);
    this.launch('rope_append', Math.ceil(threads / 256), [256, 1], 0, [
      ptr(first.x), i32(first.heads), ptr(second?.x ?? 0n), i32(second?.heads ?? 0), ptr(first.table), i32(first.rows), i32(first.headDim), ptr(first.pos),
      ptr(append?.v ?? 0n), ptr(append?.kCache ?? 0n), ptr(append?.vCache ?? 0n), i32(append?.capacity ?? 0),
    ]);
  }

  private settle(): void {
    if (!this.enabled) this.flush();
  }

  private launchRow(r: RowChain, q: QuantizedInput | null): void {
    this.launch('row_fused', r.rows, [ROW_THREADS, 1], 0, [
      i32(r.pre), ptr(r.a), ptr(r.b), ptr(r.x), ptr(r.norm?.w ?? 0n), f32(r.norm?.eps ?? 0), ptr(r.norm?.out ?? 0n),
      ptr(q?.q ?? 0n), ptr(q?.scale ?? 0n), i32(r.cols), i32(q?.paddedCols ?? 0),
    ]);
  }

  private launchProducts(x: QuantizedInput, items: readonly Product[]): void {
    const words = x.paddedCols / 16;
    const slot = (i: number) => {
      const p = items[i];
      return p === undefined ? [ptr(0n), i32(0), f32(0), ptr(0n)] : [ptr(p.w), i32(p.rows), f32(p.scale), ptr(p.y)];
    };
    const slots = () => [...slot(0), ...slot(1), ...slot(2)];
    if (this.gemmMinTokens !== null && x.rows >= this.gemmMinTokens) {
      // Prefill: the tensor-core GEMM, every product of the group in one launch (64 × 64 tiles of tokens × output
      // rows, blocks of 4 warps).
      const grid = items.reduce((n, p) => n + Math.ceil(x.rows / 64) * Math.ceil(p.rows / 64), 0);
      this.launch('ternary_gemm', grid, [128, 1], 0, [...slots(), i32(words), ptr(x.q), ptr(x.scale), i32(x.rows)]);
      return;
    }
    const blocks = (p: Product) => Math.ceil(p.rows / 8);
    if (x.rows === 1 && words <= ROW_PRODUCT_MAX_WORDS) {
      // Decode: a warp per output row, every product of the group in one launch.
      const grid = items.reduce((n, p) => n + blocks(p), 0);
      this.launch('ternary_row_int8', grid, [32, 8], 0, [...slots(), i32(words), ptr(x.q), ptr(x.scale)]);
      return;
    }
    if (items.length === 1) {
      const [p] = items;
      this.launch('ternary_int8', blocks(p), [32, 8], 0, [ptr(p.w), i32(p.rows), i32(words), ptr(x.q), ptr(x.scale), i32(x.rows), f32(p.scale), ptr(p.y)]);
      return;
    }
    const grid = items.reduce((n, p) => n + blocks(p), 0);
    this.launch('ternary_int8_multi', grid, [32, 8], 0, [...slots(), i32(words), ptr(x.q), ptr(x.scale), i32(x.rows)]);
  }
}
