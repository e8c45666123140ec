/**
 * attention (formats §4.2 step 4, §4.4): appends k, v to the cache layer at startPos.., then causal GQA attention;
 * query head h reads kv head floor(h / (H / Hkv)).
 * Properties: matches the naive attention with explicit softmax, for a prefix written by an earlier call and with
 * the other layer of the cache holding unrelated tokens; with one cached position the output is v; every output
 * lies within the per-dimension min/max of the values it attends to; causality: T tokens in one call equal the same
 * tokens in two calls through the cache (startPos); GQA: H query heads over Hkv kv heads equal H heads over kv
 * heads replicated in the order h → floor(h / group); and over contexts of hundreds of positions (more keys than
 * one GPU block takes at once) as after a short prefix.
 */
import type { Backend } from '../src/backends/backend.js';
import type { KvCacheBuffer } from '../src/backends/ops.js';
import { attentionCase, longAttentionCase, type AttentionCase, type Mat } from './arbitraries.js';
import { forEachBackend, load } from './backends.js';
import { expectClose } from './expect-close.js';
import { naiveAttention } from './math.js';
import { widened } from './tolerances.js';

/** Rows [from, to) of a matrix. */
function rowsOf(m: Mat, from: number, to: number): Mat {
  return { rows: to - from, cols: m.cols, data: m.data.slice(from * m.cols, to * m.cols), kinds: m.kinds.slice(from, to) };
}

/** Replicates kv heads to query heads: head h of the result is kv head floor(h / group) of m. */
function replicateHeads(m: Mat, numKvHeads: number, group: number, D: number): Mat {
  const H = numKvHeads * group;
  const data = new Float64Array(m.rows * H * D);
  for (let t = 0; t < m.rows; t++) {
    for (let h = 0; h < H; h++) {
      const g = Math.floor(h / group);
      data.set(m.data.subarray(t * m.cols + g * D, t * m.cols + (g + 1) * D), (t * H + h) * D);
    }
  }
  return { rows: m.rows, cols: H * D, data, kinds: m.kinds };
}

interface Call {
  readonly from: number;
  readonly to: number;
}

/**
 * Runs `calls` (token ranges, in order, each at startPos = from) on a fresh two-layer cache after filling the other
 * layer with the noise tokens; returns each call's output.
 */
async function run(backend: Backend, c: AttentionCase, calls: readonly Call[], heads = { q: c.q, k: c.k, v: c.v, numKvHeads: c.numKvHeads }): Promise<(Float64Array | Float32Array)[]> {
  const { numHeads, headDim } = c;
  const n = c.prefix + c.T;
  const kvDim = heads.numKvHeads * headDim;
  const cache: KvCacheBuffer = backend.allocateKvCache(2, n + 3, kvDim);
  const call = async (layer: number, from: number, to: number, k: Mat, v: Mat) => {
    const out = backend.allocate(to - from, numHeads * headDim);
    backend.ops.attention({
      out,
      q: load(backend, rowsOf(heads.q, from, to)),
      k: load(backend, rowsOf(k, from, to)),
      v: load(backend, rowsOf(v, from, to)),
      cache,
      layer,
      startPos: from,
      numHeads,
      numKvHeads: heads.numKvHeads,
      headDim,
    });
    return backend.read(out);
  };
  const noise = heads.numKvHeads === c.numKvHeads ? c.noise : replicateHeads(c.noise, c.numKvHeads, numHeads / c.numKvHeads, headDim);
  await call(1 - c.layer, 0, n, noise, noise);
  const outs: (Float64Array | Float32Array)[] = [];
  for (const { from, to } of calls) outs.push(await call(c.layer, from, to, heads.k, heads.v));
  return outs;
}

forEachBackend('attention', (b) => {
  b.property('matches the naive softmax attention after a cached prefix (GQA group 1/2/4/8, D 2..128, T 1..17, 2 layers)', attentionCase, async (c) => {
    const n = c.prefix + c.T;
    const calls = c.prefix > 0 ? [{ from: 0, to: c.prefix }, { from: c.prefix, to: n }] : [{ from: 0, to: n }];
    const outs = await run(b.backend, c, calls);
    const tol = b.tolerance('attention');
    for (let i = 0; i < calls.length; i++) {
      const { from, to } = calls[i];
      const want = naiveAttention(rowsOf(c.q, from, to).data, c.k.data, c.v.data, to - from, from, c.numHeads, c.numKvHeads, c.headDim);
      expectClose(`attention call ${i} (startPos ${from}, ${to - from} tokens)`, outs[i], want.out, tol, { scale: want.scale, cols: c.q.cols });
    }
  }, { numRuns: 60 });

  b.property('long contexts (129..700 positions, cached by an earlier call, keys growing along them) match the naive softmax attention', longAttentionCase, async (drawn) => {
    // Keys grow along the context (×1 to ×4), so that the largest score keeps rising from one block of keys to the
    // next: an online softmax that rescales its earlier sums wrongly is then far off, not within rounding.
    const n = drawn.prefix + drawn.T;
    const k = Float64Array.from(drawn.k.data, (x, i) => x * (1 + (3 * Math.floor(i / drawn.k.cols)) / n));
    const c = { ...drawn, k: { ...drawn.k, data: k } };
    const [, out] = await run(b.backend, c, [{ from: 0, to: c.prefix }, { from: c.prefix, to: n }]);
    const want = naiveAttention(rowsOf(c.q, c.prefix, n).data, c.k.data, c.v.data, c.T, c.prefix, c.numHeads, c.numKvHeads, c.headDim);
    // The tolerance's error bound grows with the context (spec/tolerances.ts: 2n + 2(D + 1) + 12 roundings for n ≤ 64);
    // at n ≤ 700 it is at most 4 times the bound at 64.
    expectClose(`attention after ${c.prefix} cached positions`, out, want.out, widened(b.tolerance('attention'), 4), { scale: want.scale, cols: c.q.cols });
  }, { numRuns: 12 });

  b.property('one cached position returns v (per query head, its kv head’s v)', attentionCase, async (c) => {
    const [out] = await run(b.backend, c, [{ from: 0, to: 1 }]);
    const want = replicateHeads(rowsOf(c.v, 0, 1), c.numKvHeads, c.numHeads / c.numKvHeads, c.headDim);
    const { scale } = naiveAttention(c.q.data, c.k.data, c.v.data, 1, 0, c.numHeads, c.numKvHeads, c.headDim);
    expectClose('attention over one position', out, want.data, b.tolerance('attention'), { scale });
  });

  b.property('every output lies within the per-dimension min/max of the attended values', attentionCase, async (c) => {
    const n = c.prefix + c.T;
    const [out] = await run(b.backend, c, [{ from: 0, to: n }]);
    const { lo, hi, scale } = naiveAttention(c.q.data, c.k.data, c.v.data, n, 0, c.numHeads, c.numKvHeads, c.headDim);
    const tol = b.tolerance('attention');
    for (let i = 0; i < out.length; i++) {
      const slack = tol.abs + tol.rel * scale[i];
      if (!(out[i] >= lo[i] - slack && out[i] <= hi[i] + slack)) {
        throw new Error(`attention output ${out[i]} at index ${i} [${Math.floor(i / c.q.cols)}, ${i % c.q.cols}] is outside the attended values [${lo[i]}, ${hi[i]}] (slack ${slack})`);
      }
    }
  });

  b.property('causality: T tokens in one call equal the same tokens split into two calls through the cache', attentionCase.filter((c) => c.T >= 2), async (c) => {
    const n = c.prefix + c.T;
    const at = c.prefix + c.split;
    const prefixCall = c.prefix > 0 ? [{ from: 0, to: c.prefix }] : [];
    const wholeOut = (await run(b.backend, c, [...prefixCall, { from: c.prefix, to: n }])).at(-1)!;
    const split = await run(b.backend, c, [...prefixCall, { from: c.prefix, to: at }, { from: at, to: n }]);
    const [first, second] = split.slice(-2);
    const joined = new Float64Array(first.length + second.length);
    joined.set(first, 0);
    joined.set(second, first.length);
    const { scale } = naiveAttention(rowsOf(c.q, c.prefix, n).data, c.k.data, c.v.data, c.T, c.prefix, c.numHeads, c.numKvHeads, c.headDim);
    expectClose(`attention split at token ${c.split} of ${c.T}`, joined, wholeOut, widened(b.tolerance('attention'), 2), { scale, cols: c.q.cols });
  }, { numRuns: 60 });

  b.property('GQA: kv head g serves query heads g·group .. (g+1)·group − 1 (equals replicated kv heads)', attentionCase.filter((c) => c.numHeads > c.numKvHeads), async (c) => {
    const n = c.prefix + c.T;
    const group = c.numHeads / c.numKvHeads;
    const [gqa] = await run(b.backend, c, [{ from: 0, to: n }]);
    const replicated = { q: c.q, k: replicateHeads(c.k, c.numKvHeads, group, c.headDim), v: replicateHeads(c.v, c.numKvHeads, group, c.headDim), numKvHeads: c.numHeads };
    const [mha] = await run(b.backend, c, [{ from: 0, to: n }], replicated);
    const { scale } = naiveAttention(c.q.data, c.k.data, c.v.data, n, 0, c.numHeads, c.numKvHeads, c.headDim);
    expectClose('attention GQA vs replicated kv heads', gqa, mha, widened(b.tolerance('attention'), 2), { scale, cols: c.q.cols });
  }, { numRuns: 60 });
});
