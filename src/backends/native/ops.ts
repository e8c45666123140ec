/**
 * The native op table: each op checks its buffers and records itself (program.ts); the work happens in native
 * code when the program runs. Field orders mirror native/program.cc.
 */
import { ShapeError } from '../../errors.js';
import type { BackendOps } from '../ops.js';
import type { NativeAddon } from './addon.js';
import { act, kvCache, NativeActivations, NativeBlock, quantized, TABLE_STORAGE, type NativeMatrix, type NativeTernary, type NativeVector } from './buffers.js';
import { OP, type ProgramRecorder } from './program.js';
import { RopeTables } from './rope-tables.js';

export function createNativeOps(addon: NativeAddon, program: ProgramRecorder): BackendOps {
  const rope = new RopeTables(addon);
  /** Scratch for the lossy int8 lm_head's quantised activations, grown on demand. */
  let lmHeadScratch: { q: NativeBlock; scales: NativeBlock } | null = null;

  return {
    embed(a) {
      const out = act('embed', a.out);
      const t = a.table as NativeMatrix;
      // The model checks ids against the vocabulary; native code must not trust a direct caller to.
      for (const id of a.tokenIds) if (!(id >= 0 && id < t.rows)) throw new ShapeError('embed', `token ids in [0, ${t.rows})`, `${id}`);
      program.record(
        OP.embed,
        [out.block.address, t.block.address, TABLE_STORAGE[t.storage], t.cols, t.scales?.address ?? 0, t.rowBytes, a.tokenIds.length],
        [t.block],
        [out],
        a.tokenIds,
      );
    },

    rmsnorm(a) {
      const out = act('rmsnorm', a.out);
      const x = act('rmsnorm', a.x);
      const w = a.weight as NativeVector;
      program.record(OP.rmsnorm, [out.block.address, x.block.address, w.block.address, x.rows, x.cols, a.eps], [x, w.block], [out]);
    },

    quantizeActivations(a) {
      const out = quantized('quantizeActivations', a.out);
      const x = act('quantizeActivations', a.x);
      if (out.scheme === 'q8k') {
        program.record(OP.quantQ8k, [out.q.address, out.scale.address, x.block.address, x.rows, x.cols], [x], [out]);
        return;
      }
      program.record(OP.quantToken, [out.q.address, out.stride, out.scale.address, out.sums.address, x.block.address, x.rows, x.cols], [x], [out]);
    },

    ternaryMatmul(a) {
      const out = act('ternaryMatmul', a.out);
      const x = quantized('ternaryMatmul', a.x);
      const w = a.w as NativeTernary;
      if (x.scheme === 'q8k') {
        program.record(OP.ternaryQ8k, [out.block.address, w.block.address, w.rows, w.chunks, w.cols, w.scale, x.q.address, x.scale.address, x.rows], [x, w.block], [out]);
        return;
      }
      program.record(
        OP.ternary,
        [out.block.address, w.block.address, w.rows, w.groups, w.chunks, w.scale, x.q.address, x.stride, x.scale.address, x.sums.address, x.rows],
        [x, w.block],
        [out],
      );
    },

    ternaryMatmulFloat(a) {
      const out = act('ternaryMatmulFloat', a.out);
      const x = act('ternaryMatmulFloat', a.x);
      const w = a.w as NativeTernary;
      program.record(OP.ternaryFloat, [out.block.address, w.block.address, w.rows, w.chunks, w.cols, w.scale, x.block.address, x.rows], [x, w.block], [out]);
    },

    rope(a) {
      const x = act('rope', a.x);
      const table = rope.covering(a.headDim, a.theta, a.startPos + x.rows);
      program.record(OP.rope, [x.block.address, x.rows, x.cols / a.headDim, a.headDim, a.startPos, table.cos.address, table.sin.address], [x, table.cos, table.sin], [x]);
    },

    attention(a) {
      const op = 'attention';
      const [out, q, k, v] = [act(op, a.out), act(op, a.q), act(op, a.k), act(op, a.v)];
      const cache = kvCache(op, a.cache);
      const [kc, vc] = [cache.at(a.layer, 0), cache.at(a.layer, 1)];
      const D = a.headDim;
      program.record(OP.kvAppend, [kc, vc, k.block.address, v.block.address, k.rows, a.numKvHeads, D, cache.capacity, a.startPos], [k, v], [cache]);
      program.record(OP.attention, [out.block.address, q.block.address, kc, vc, q.rows, a.startPos, a.numHeads, a.numKvHeads, D, cache.capacity], [q, cache], [out]);
    },

    reluSqMul(a) {
      const [out, g, u] = [act('reluSqMul', a.out), act('reluSqMul', a.gate), act('reluSqMul', a.up)];
      program.record(OP.reluSqMul, [out.block.address, g.block.address, u.block.address, out.rows * out.cols], [g, u], [out]);
    },

    siluMul(a) {
      const [out, g, u] = [act('siluMul', a.out), act('siluMul', a.gate), act('siluMul', a.up)];
      program.record(OP.siluMul, [out.block.address, g.block.address, u.block.address, out.rows * out.cols], [g, u], [out]);
    },

    add(a) {
      const [out, x, y] = [act('add', a.out), act('add', a.a), act('add', a.b)];
      program.record(OP.add, [out.block.address, x.block.address, y.block.address, out.rows * out.cols], [x, y], [out]);
    },

    lmHead(a) {
      const out = act('lmHead', a.out);
      const x = act('lmHead', a.x);
      const t = a.table as NativeMatrix;
      const T = out.rows;
      const xAt = x.block.address + a.fromRow * x.cols * 4;
      if (t.storage !== 'i8') {
        program.record(OP.lmHead, [out.block.address, xAt, t.block.address, TABLE_STORAGE[t.storage], t.rows, t.cols, T], [x, t.block], [out]);
        return;
      }
      if (lmHeadScratch === null || lmHeadScratch.q.bytes < T * t.rowBytes) {
        lmHeadScratch = { q: new NativeBlock(addon, T * t.rowBytes), scales: new NativeBlock(addon, T * 4) };
      }
      const s = lmHeadScratch;
      program.record(OP.quantI8, [s.q.address, s.scales.address, xAt, T, x.cols, t.rowBytes], [x], [s.q, s.scales]);
      program.record(OP.lmHeadI8, [out.block.address, t.block.address, (t.scales as NativeBlock).address, t.rows, t.rowBytes, s.q.address, s.scales.address, T], [s.q, s.scales, t.block], [out]);
    },
  };
}

export { NativeActivations };
