/**
 * The wasm op table. The products and attention run in the WASM SIMD kernels over the shared heap, split across
 * threads; per-token quantisation runs in a kernel that decides every rounding in float64 as the reference does,
 * so int8 activations and integer sums are identical to it. Norms, the gated activation and the residual add are
 * kernels too (elementwise-wat.ts); RoPE is a loop over the float32 view with cached angles. The Q8_K and
 * unquantised ternary paths (numerics 'llamacpp' only) stay in plain JS.
 *
 * Per-token ternary products are not run when called: consecutive ones over the same quantised input (q, k and v;
 * gate and up) are collected and run as one ternary_products call, rescaling included, as soon as anything else
 * happens — another op, or the backend's flush (before any read, write or release). Each hand-off to the worker
 * threads costs a few microseconds and each product was one; this makes 4 a layer instead of 7.
 */
import { quantizeQ8K, Q8K_BLOCK } from '../../kernels/reference/quantize-q8k.js';
import type { BackendOps, GatedArgs, TernaryMatmulFloatArgs } from '../ops.js';
import { act, kvCache, quantized, type WasmActivations, type WasmQuantized, type WasmMatrix, type WasmTernary, type WasmVector } from './buffers.js';
import { decodeTableRow, quantizeTableRows } from './matrix-storage.js';
import type { WasmHeap } from './heap.js';
import type { KernelPool } from './pool.js';
import { DESC_BYTES } from '../../kernels/wasm/ternary-products-wat.js';
import { RopeTable } from './rope-table.js';

export function createWasmOps(heap: WasmHeap, k: KernelPool): { ops: BackendOps; flush: () => void } {
  /** A heap scratch block that grows on demand (the old block is released). */
  const scratch = (() => {
    const blocks = new Map<string, { offset: number; bytes: number }>();
    return (name: string, bytes: number): number => {
      const have = blocks.get(name);
      if (have !== undefined && have.bytes >= bytes) return have.offset;
      if (have !== undefined) heap.release(have.offset, have.bytes);
      const offset = heap.alloc(bytes);
      blocks.set(name, { offset, bytes });
      return offset;
    };
  })();
  const ropeTables = new Map<string, RopeTable>();

  /**
   * β · Σ x · t over the interleaved codes, in float64: the path for unquantised activations (and Q8_K shapes the
   * kernel does not take). Byte i of a row's 16 in block b holds columns 64b + 16j + i at bits 2j (layout.ts).
   */
  const floatProduct = (out: WasmActivations, x: ArrayLike<number>, w: WasmTernary, T: number): void => {
    const u8 = heap.u8;
    const o = out.data;
    for (let r = 0; r < w.rows; r++) {
      const row = w.offset + (((r >> 2) * w.kblocks * 4 + (r & 3)) * 16);
      for (let t = 0; t < T; t++) {
        const xt = t * w.cols;
        let acc = 0;
        for (let b = 0; b < w.kblocks; b++) {
          const p = row + b * 64;
          for (let j = 0; j < 4; j++) {
            const base = 64 * b + 16 * j;
            const n = Math.min(16, w.cols - base);
            for (let i = 0; i < n; i++) {
              const code = (u8[p + i] >> (2 * j)) & 3;
              if (code === 2) acc += x[xt + base + i];
              else if (code === 0) acc -= x[xt + base + i];
            }
          }
        }
        o[t * w.rows + r] = acc * w.scale;
      }
    }
  };

  /** Products waiting for a flush, all over `pendingX`. */
  const pending: { out: WasmActivations; w: WasmTernary }[] = [];
  let pendingX: WasmQuantized | null = null;

  /** Runs the waiting products as one split kernel call, each matrix's rows finished to its output. */
  const flush = (): void => {
    const x = pendingX;
    if (x === null) return;
    const T = x.rows;
    let groups = 0;
    let macs = 0;
    let dotBytes = 0;
    let maxKblocks = 0;
    for (const { w } of pending) {
      groups += w.groups;
      macs += w.groups * w.kblocks * 256 * T;
      dotBytes += T * w.groups * 16;
      maxKblocks = Math.max(maxKblocks, w.kblocks);
    }
    const desc = scratch('productDescs', pending.length * DESC_BYTES);
    const dots = scratch('dots', dotBytes);
    const codeStride = T > 1 ? maxKblocks * 256 : 0; // unpacked codes, per thread (prefill only)
    const codes = T > 1 ? scratch('codes', codeStride * k.threads) : 0;
    let start = 0;
    let at = dots;
    pending.forEach(({ out, w }, m) => {
      const i = (desc + m * DESC_BYTES) >> 2;
      heap.i32.set([w.offset, w.groups, w.kblocks, w.rows, at, out.offset, start], i);
      heap.f64[(desc + m * DESC_BYTES + 32) >> 3] = w.scale;
      start += w.groups;
      at += T * w.groups * 16;
    });
    const count = pending.length;
    pending.length = 0;
    pendingX = null;
    k.products(desc, count, groups, macs, x.offset, T, x.scaleOffset, x.sumsOffset, codes, codeStride);
  };

  /**
   * The TQ × Q8_K product in the kernel (per-block integer dots scaled in float64, as llama.cpp sums); q, d and the
   * per-block Σ q are copied into the heap. Shapes the kernel does not take (K not a multiple of 256 or not the
   * weights' width) use the oracle's form in JS.
   */
  const q8kProduct = (out: WasmActivations, x: WasmQuantized, w: WasmTernary): void => {
    const q = x.jsQ as Int8Array;
    const d = x.scale;
    const [T, K] = [x.rows, x.cols];
    if (K % Q8K_BLOCK !== 0 || w.kblocks * 64 !== K) {
      // The oracle's form (docs/numerics.md): x' = float32(q · d), then a float64 product.
      const xd = new Float64Array(q.length);
      for (let i = 0; i < xd.length; i++) xd[i] = Math.fround(q[i] * d[Math.floor(i / Q8K_BLOCK)]);
      floatProduct(out, xd, w, T);
      return;
    }
    const blocks = K / Q8K_BLOCK;
    const qAt = scratch('q8kQ', T * K);
    const dAt = scratch('q8kD', T * blocks * 8);
    const sumsAt = scratch('q8kSums', T * blocks * 4);
    const params = scratch('q8kParams', 8);
    const dots = scratch('q8kDots', 16 * k.threads);
    heap.i8.set(q, qAt);
    heap.f64.set(d.subarray(0, T * blocks), dAt >> 3);
    const sums = heap.i32.subarray(sumsAt >> 2, (sumsAt >> 2) + T * blocks).fill(0);
    for (let i = 0; i < T * K; i++) sums[Math.floor(i / Q8K_BLOCK)] += q[i];
    heap.f64[params >> 3] = w.scale;
    k.q8kProducts(w.offset, w.groups, w.kblocks, qAt, dAt, sumsAt, T, out.offset, w.rows, params, dots);
  };

  const gated = (op: 'silu_mul' | 'relu_sq_mul', a: GatedArgs, cost: number): void => {
    const out = act(op, a.out);
    k.elementwise(op, out.offset, act(op, a.gate).offset, act(op, a.up).offset, out.rows * out.cols, cost);
  };

  const ops: BackendOps = {
    embed(a) {
      const out = act('embed', a.out).data;
      const table = a.table as WasmMatrix;
      a.tokenIds.forEach((id, t) => decodeTableRow(heap, table, id, out.subarray(t * table.cols, (t + 1) * table.cols)));
    },

    rmsnorm(a) {
      const out = act('rmsnorm', a.out);
      const x = act('rmsnorm', a.x);
      const params = scratch('params', 8);
      heap.f64[params >> 3] = a.eps;
      k.rmsnorm(x.offset, (a.weight as WasmVector).offset, out.offset, x.rows, x.cols, params);
    },

    quantizeActivations(a) {
      const out = quantized('quantizeActivations', a.out);
      const x = act('quantizeActivations', a.x);
      if (out.scheme === 'q8k') {
        quantizeQ8K(out.jsQ as Int8Array, out.scale, Float64Array.from(x.data), x.rows, x.cols);
        return;
      }
      k.kernels.quantize_rows(x.offset, x.rows, x.cols, out.offset, out.paddedCols, out.scaleOffset, out.sumsOffset);
    },

    ternaryMatmul(a) {
      const out = act('ternaryMatmul', a.out);
      const x = quantized('ternaryMatmul', a.x);
      const w = a.w as WasmTernary;
      if (x.scheme === 'q8k') {
        flush();
        q8kProduct(out, x, w);
        return;
      }
      // Waits for the rest of its group; an output already waiting is written in call order.
      if (pendingX !== x || pending.some((p) => p.out === out)) flush();
      pendingX = x;
      pending.push({ out, w });
    },

    ternaryMatmulFloat(a: TernaryMatmulFloatArgs) {
      const out = act('ternaryMatmulFloat', a.out);
      const x = act('ternaryMatmulFloat', a.x);
      floatProduct(out, x.data, a.w as WasmTernary, x.rows);
    },

    rope(a) {
      const x = act('rope', a.x);
      const key = `${a.headDim}/${a.theta}`;
      let table = ropeTables.get(key);
      if (table === undefined) ropeTables.set(key, (table = new RopeTable(a.headDim, a.theta)));
      table.apply(x.data, x.rows, x.cols / a.headDim, a.startPos);
    },

    attention(a) {
      const op = 'attention';
      const out = act(op, a.out);
      const [q, kk, v] = [act(op, a.q), act(op, a.k), act(op, a.v)];
      const cache = kvCache(op, a.cache);
      const T = q.rows;
      const D = a.headDim;
      const cap = cache.capacity;
      const kc = cache.at(a.layer, 0);
      const vc = cache.at(a.layer, 1);
      // Append in the cache's head-major layout: row t, kv head g goes to [g][startPos + t][0..D).
      const f32 = heap.f32;
      const [ks, vs] = [kk.data, v.data];
      for (let g = 0; g < a.numKvHeads; g++) {
        for (let t = 0; t < T; t++) {
          const at = (g * cap + a.startPos + t) * D;
          f32.set(ks.subarray((t * a.numKvHeads + g) * D, (t * a.numKvHeads + g + 1) * D), (kc >> 2) + at);
          f32.set(vs.subarray((t * a.numKvHeads + g) * D, (t * a.numKvHeads + g + 1) * D), (vc >> 2) + at);
        }
      }
      const scoreBytes = Math.ceil((cap * 8) / 64) * 64; // per thread, enough for any position
      const scores = scratch('scores', scoreBytes * k.threads);
      k.attention(q.offset, kc, vc, out.offset, T, a.startPos, a.numHeads, a.numKvHeads, D, cap, scores, scoreBytes);
    },

    // Costs per element in multiply-adds, for the decision to split: silu's exp is a dozen vector operations.
    reluSqMul: (a) => gated('relu_sq_mul', a, 2),
    siluMul: (a) => gated('silu_mul', a, 16),

    add(a) {
      const out = act('add', a.out);
      k.elementwise('add', out.offset, act('add', a.a).offset, act('add', a.b).offset, out.rows * out.cols, 1);
    },

    lmHead(a) {
      const out = act('lmHead', a.out);
      const x = act('lmHead', a.x);
      const table = a.table as WasmMatrix;
      const xAt = x.offset + a.fromRow * x.cols * 4;
      if (table.storage === 'f16') {
        // Hand the half kernel x · 2^112 when that is exact (|x| < 2^16), sparing it a multiply per weight.
        const xs = heap.f32.subarray(xAt >> 2, (xAt >> 2) + out.rows * x.cols);
        let amax = 0;
        for (let i = 0; i < xs.length; i++) amax = Math.max(amax, Math.abs(xs[i]));
        if (amax < 2 ** 16) {
          const scaled = scratch('lmHeadScaledX', xs.length * 4);
          const dst = heap.f32.subarray(scaled >> 2, (scaled >> 2) + xs.length);
          for (let i = 0; i < xs.length; i++) dst[i] = xs[i] * 2 ** 112;
          k.lmHead('f16x', table.offset, table.rows, table.cols, scaled, out.rows, out.offset);
          return;
        }
      }
      if (table.storage !== 'i8') {
        k.lmHead(table.storage, table.offset, table.rows, table.cols, xAt, out.rows, out.offset);
        return;
      }
      // The lossy int8 path: each token row quantised absmax → int8 (rows padded with zeros), then integer dots.
      const rowBytes = table.rowBytes as number;
      const T = out.rows;
      const xq = scratch('lmHeadX', T * rowBytes);
      const xScales = scratch('lmHeadXScales', T * 4);
      const xs = x.data;
      const q = heap.i8.subarray(xq, xq + T * rowBytes).fill(0); // the scratch is reused: padding must read zero
      const scales = heap.f32.subarray(xScales >> 2, (xScales >> 2) + T);
      quantizeTableRows(T, x.cols, (t, dst) => dst.set(xs.subarray((a.fromRow + t) * x.cols, (a.fromRow + t + 1) * x.cols)), q, rowBytes, scales);
      k.lmHeadI8(table.offset, table.scalesOffset as number, table.rows, rowBytes, xq, xScales, T, out.offset);
    },
  };
  // Everything but a per-token product first runs what is waiting.
  const flushed = Object.fromEntries(
    Object.entries(ops).map(([name, op]) => [name, name === 'ternaryMatmul' ? op : (a: never) => (flush(), (op as (a: never) => void)(a))]),
  ) as unknown as BackendOps;
  return { ops: flushed, flush };
}
