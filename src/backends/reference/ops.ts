/**
 * The reference op table: calls the float64 kernels in src/kernels/reference (shapes are checked by checks.ts).
 */
import { add } from '../../kernels/reference/add.js';
import { attention } from '../../kernels/reference/attention.js';
import { embed } from '../../kernels/reference/embed.js';
import { lmHead } from '../../kernels/reference/lm-head.js';
import { quantizeActivations } from '../../kernels/reference/quantize-activations.js';
import { quantizeQ8K } from '../../kernels/reference/quantize-q8k.js';
import { reluSqMul } from '../../kernels/reference/relu-sq-mul.js';
import { rmsnorm } from '../../kernels/reference/rmsnorm.js';
import { rope } from '../../kernels/reference/rope.js';
import { siluMul } from '../../kernels/reference/silu-mul.js';
import { ternaryMatmul } from '../../kernels/reference/ternary-matmul.js';
import { ternaryMatmulFloat } from '../../kernels/reference/ternary-matmul-float.js';
import { ternaryMatmulQ8K } from '../../kernels/reference/ternary-matmul-q8k.js';
import type { BackendOps, GatedArgs } from '../ops.js';
import { act, kvCache, quantized, type RefMatrix, type RefTernary, type RefVector } from './buffers.js';

function gated(op: string, kernel: typeof reluSqMul, a: GatedArgs): void {
  const out = act(op, a.out);
  const gate = act(op, a.gate);
  const up = act(op, a.up);
  kernel(out.data, gate.data, up.data, out.rows * out.cols);
}

/** The op table; scratch space is reused across calls so that a decode step allocates nothing. */
export function createReferenceOps(): BackendOps {
  let scratch = new Float64Array(0);
  // One buffer serves rmsnorm's squares, attention's scores and Q8_K's dequantised activations: no op needs two.
  const scratchOf = (n: number): Float64Array => (scratch.length >= n ? scratch : (scratch = new Float64Array(n)));
  return {
  embed(a) {
    const out = act('embed', a.out);
    const table = a.table as RefMatrix;
    embed(out.data, table.data, a.tokenIds, table.cols);
  },

  rmsnorm(a) {
    const out = act('rmsnorm', a.out);
    const x = act('rmsnorm', a.x);
    const w = a.weight as RefVector;
    rmsnorm(out.data, x.data, w.data, x.rows, x.cols, a.eps, scratchOf(x.cols));
  },

  quantizeActivations(a) {
    const out = quantized('quantizeActivations', a.out);
    const x = act('quantizeActivations', a.x);
    if (out.scheme === 'q8k') quantizeQ8K(out.q, out.scale, x.data, x.rows, x.cols);
    else quantizeActivations(out.q, out.scale, x.data, x.rows, x.cols);
  },

  ternaryMatmul(a) {
    const out = act('ternaryMatmul', a.out);
    const x = quantized('ternaryMatmul', a.x);
    const w = a.w as RefTernary;
    if (x.scheme === 'q8k') ternaryMatmulQ8K(out.data, w.packed, w.scale, x.q, x.scale, x.rows, w.cols, w.rows, scratchOf(x.rows * w.cols));
    else ternaryMatmul(out.data, w.packed, w.scale, x.q, x.scale, x.rows, w.cols, w.rows);
  },

  ternaryMatmulFloat(a) {
    const out = act('ternaryMatmulFloat', a.out);
    const x = act('ternaryMatmulFloat', a.x);
    const w = a.w as RefTernary;
    ternaryMatmulFloat(out.data, w.packed, w.scale, x.data, x.rows, w.cols, w.rows);
  },

  rope(a) {
    const x = act('rope', a.x);
    rope(x.data, x.rows, x.cols / a.headDim, a.headDim, a.startPos, a.theta);
  },

  attention(a) {
    const op = 'attention';
    const out = act(op, a.out);
    const q = act(op, a.q);
    const k = act(op, a.k);
    const v = act(op, a.v);
    const cache = kvCache(op, a.cache);
    const T = q.rows;
    attention(out.data, q.data, k.data, v.data, cache.k[a.layer], cache.v[a.layer], T, a.startPos, a.numHeads, a.numKvHeads, a.headDim, scratchOf(a.startPos + T));
  },

  reluSqMul: (a) => gated('reluSqMul', reluSqMul, a),
  siluMul: (a) => gated('siluMul', siluMul, a),

  add(a) {
    const out = act('add', a.out);
    const x = act('add', a.a);
    const y = act('add', a.b);
    add(out.data, x.data, y.data, out.rows * out.cols);
  },

  lmHead(a) {
    const out = act('lmHead', a.out);
    const x = act('lmHead', a.x);
    const table = a.table as RefMatrix;
    lmHead(out.data, table.data, x.data.subarray(a.fromRow * x.cols), out.rows, table.cols, table.rows);
  },
};
}
