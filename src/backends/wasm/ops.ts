/**
 * The wasm op table. The products that dominate a token — ternary × int8 and the lm_head — run in the WASM SIMD
 * kernels over the shared heap. The other ops run the float64 reference kernels on float64 copies of the float32
 * activations (their cost is small next to the products; docs/backends.md) and store float32. Quantisation is
 * computed in float64 exactly as the reference, so int8 activations and integer sums are identical to it.
 */
import { add } from '../../kernels/reference/add.js';
import { attention } from '../../kernels/reference/attention.js';
import { quantizeActivations } from '../../kernels/reference/quantize-activations.js';
import { quantizeQ8K, Q8K_BLOCK } from '../../kernels/reference/quantize-q8k.js';
import { reluSqMul } from '../../kernels/reference/relu-sq-mul.js';
import { rmsnorm } from '../../kernels/reference/rmsnorm.js';
import { rope } from '../../kernels/reference/rope.js';
import { siluMul } from '../../kernels/reference/silu-mul.js';
import type { BackendOps, GatedArgs, TernaryMatmulFloatArgs } from '../ops.js';
import { act, kvCache, quantized, type WasmActivations, type WasmMatrix, type WasmTernary, type WasmVector } from './buffers.js';
import type { WasmHeap } from './heap.js';
import { ternaryAt } from './layout.js';
import type { KernelPool } from './pool.js';

export function createWasmOps(heap: WasmHeap, k: KernelPool): BackendOps {
  // Float64 scratch slots for the reference kernels, grown on demand and reused (no allocation per token).
  const slots: Float64Array[] = [];
  const tmp = (slot: number, n: number): Float64Array => {
    if ((slots[slot]?.length ?? 0) < n) slots[slot] = new Float64Array(n);
    return slots[slot].subarray(0, n);
  };
  const widen = (slot: number, a: WasmActivations): Float64Array => {
    const t = tmp(slot, a.rows * a.cols);
    t.set(a.data);
    return t;
  };
  let qScratch = new Int8Array(0);
  let dotsOffset = 0;
  let dotsBytes = 0;
  const dots = (n: number): number => {
    if (dotsBytes < n * 4) {
      dotsOffset = heap.alloc(n * 4);
      dotsBytes = n * 4;
    }
    return dotsOffset;
  };

  /** β · Σ x · t over the interleaved codes, in float64: the slow path for unquantised and Q8_K activations. */
  const floatProduct = (out: WasmActivations, x: Float64Array, w: WasmTernary, T: number): void => {
    const u8 = heap.u8.subarray(w.offset, w.offset + w.groups * w.kblocks * 64);
    const o = out.data;
    for (let j = 0; j < w.rows; j++) {
      for (let t = 0; t < T; t++) {
        let acc = 0;
        for (let i = 0; i < w.cols; i++) acc += x[t * w.cols + i] * ternaryAt(u8, w.kblocks, j, i);
        o[t * w.rows + j] = acc * w.scale;
      }
    }
  };

  const gated = (op: string, kernel: typeof reluSqMul, a: GatedArgs): void => {
    const out = act(op, a.out);
    const gate = act(op, a.gate);
    const up = act(op, a.up);
    const r = tmp(0, out.rows * out.cols);
    kernel(r, widen(1, gate), widen(2, up), r.length);
    out.data.set(r);
  };

  return {
    embed(a) {
      const out = act('embed', a.out);
      const table = a.table as WasmMatrix;
      const f32 = heap.f32;
      const o = out.data;
      a.tokenIds.forEach((id, t) => o.set(f32.subarray((table.offset >> 2) + id * table.cols, (table.offset >> 2) + (id + 1) * table.cols), t * table.cols));
    },

    rmsnorm(a) {
      const out = act('rmsnorm', a.out);
      const x = act('rmsnorm', a.x);
      const w = a.weight as WasmVector;
      const r = widen(0, x);
      rmsnorm(r, r, w.data, x.rows, x.cols, a.eps, tmp(1, x.cols));
      out.data.set(r);
    },

    quantizeActivations(a) {
      const out = quantized('quantizeActivations', a.out);
      const x = act('quantizeActivations', a.x);
      const xs = widen(0, x);
      if (out.scheme === 'q8k') {
        quantizeQ8K(out.jsQ as Int8Array, out.scale, xs, x.rows, x.cols);
        return;
      }
      // The reference quantiser writes unpadded rows; they are copied into the kernels' 64-column padding.
      if (qScratch.length < x.rows * x.cols) qScratch = new Int8Array(x.rows * x.cols);
      const rowQ = qScratch;
      quantizeActivations(rowQ, out.scale, xs, x.rows, x.cols);
      const dst = out.q;
      for (let t = 0; t < x.rows; t++) {
        let sum = 0;
        for (let i = 0; i < x.cols; i++) sum += dst[t * out.paddedCols + i] = rowQ[t * x.cols + i];
        out.sums[t] = sum;
      }
    },

    ternaryMatmul(a) {
      const out = act('ternaryMatmul', a.out);
      const x = quantized('ternaryMatmul', a.x);
      const w = a.w as WasmTernary;
      if (x.scheme === 'q8k') {
        // The oracle's form (docs/numerics.md): x' = float32(q · d), then a float64 product.
        const xd = tmp(0, x.rows * x.cols);
        const q = x.jsQ as Int8Array;
        for (let i = 0; i < xd.length; i++) xd[i] = Math.fround(q[i] * x.scale[Math.floor(i / Q8K_BLOCK)]);
        floatProduct(out, xd, w, x.rows);
        return;
      }
      const T = x.rows;
      const Npad = w.groups * 4;
      const d = dots(T * Npad);
      k.dots(w.offset, w.groups, w.kblocks, x.offset, T, d);
      const raw = heap.i32.subarray(d >> 2, (d >> 2) + T * Npad);
      const o = out.data;
      for (let t = 0; t < T; t++) {
        const s = x.scale[t];
        const sum = x.sums[t];
        for (let j = 0; j < w.rows; j++) o[t * w.rows + j] = ((raw[t * Npad + j] - sum) * w.scale) / s;
      }
    },

    ternaryMatmulFloat(a: TernaryMatmulFloatArgs) {
      const out = act('ternaryMatmulFloat', a.out);
      const x = act('ternaryMatmulFloat', a.x);
      const w = a.w as WasmTernary;
      floatProduct(out, widen(0, x), w, x.rows);
    },

    rope(a) {
      const x = act('rope', a.x);
      const r = widen(0, x);
      rope(r, x.rows, x.cols / a.headDim, a.headDim, a.startPos, a.theta);
      x.data.set(r);
    },

    attention(a) {
      const op = 'attention';
      const out = act(op, a.out);
      const [q, kk, v] = [act(op, a.q), act(op, a.k), act(op, a.v)];
      const cache = kvCache(op, a.cache);
      const T = q.rows;
      const r = tmp(0, T * a.numHeads * a.headDim);
      attention(r, widen(1, q), widen(2, kk), widen(3, v), cache.k[a.layer], cache.v[a.layer], T, a.startPos, a.numHeads, a.numKvHeads, a.headDim, tmp(4, a.startPos + T));
      out.data.set(r);
    },

    reluSqMul: (a) => gated('reluSqMul', reluSqMul, a),
    siluMul: (a) => gated('siluMul', siluMul, a),

    add(a) {
      const out = act('add', a.out);
      const [x, y] = [act('add', a.a), act('add', a.b)];
      const r = tmp(0, out.rows * out.cols);
      add(r, widen(1, x), widen(2, y), r.length);
      out.data.set(r);
    },

    lmHead(a) {
      const out = act('lmHead', a.out);
      const x = act('lmHead', a.x);
      const table = a.table as WasmMatrix;
      k.lmHead(table.offset, table.rows, table.cols, x.offset + a.fromRow * x.cols * 4, out.rows, out.offset);
    },
  };
}
