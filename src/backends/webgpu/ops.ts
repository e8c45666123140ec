/**
 * The webgpu op table: every op is one or two of our WGSL programs (src/kernels/webgpu) run through tfjs. Nothing
 * is read back here; the engine reads the logits (or a test reads a buffer) through Backend.read.
 */
import type { Tensor, TensorInfo } from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { ATTENTION_OUTPUT, ATTENTION_SCORES, ATTENTION_SOFTMAX, ADD, embedWgsl, KV_APPEND, lmHeadDecodeWgsl, lmHeadWgsl, RELU_SQ_MUL, RMSNORM, ROPE, SILU_MUL } from '../../kernels/webgpu/layer-wgsl.js';
import { PER_TOKEN_PACK, PER_TOKEN_STATS, Q8K_DEQUANTIZE, Q8K_PACK, Q8K_STATS, WG } from '../../kernels/webgpu/quantize-wgsl.js';
import { DECODE_ROWS, DECODE_SLICES, TERNARY_FLOAT, ternaryInt8DecodeWgsl, ternaryInt8Wgsl, TOKEN_TILE } from '../../kernels/webgpu/ternary-wgsl.js';
import { ACTIVATION_EPS } from '../../kernels/reference/quantize-activations.js';
import type { BackendOps, GatedArgs } from '../ops.js';
import { act, kvCache, quantized, type GpuMatrix, type GpuTernary, type GpuVector } from './buffers.js';
import { f32u, i32u, runKernel, type KernelSource, type UniformValue } from './program.js';
import type { RopeTables } from './rope-tables.js';

type Tf = typeof import('@tensorflow/tfjs-core');

/** float64 127 / 1e-5 (the clamped rows' s) as (hi, lo, e): mantissa bits and exponent, for the exact path. */
function clampedScale(): { hi: number; lo: number; e: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, 127 / ACTIVATION_EPS);
  const top = view.getUint32(0);
  return { hi: (top & 0xfffff) | 0x100000, lo: view.getUint32(4) | 0, e: ((top >>> 20) & 0x7ff) - 1075 };
}

const ATTENTION_UNIFORMS = 't0 : i32, Tc : i32, H : i32, Hkv : i32, D : i32, startPos : i32, n : i32, scale : f32,';
/** Score elements per attention pass: query rows are taken in chunks that keep the score tensor under 64 MiB. */
const MAX_SCORES = 1 << 24;

const src = (key: string, inputs: string[], uniforms: string, code: string, workgroupSize = WG): KernelSource => ({ key, inputs, uniforms, code, workgroupSize });

/** Kernel choices that depend on the device, not on the math (every variant gives the same results). */
export interface WebGpuTuning {
  /** dot4I8Packed is in WGSL here. */
  readonly nativeDot4: boolean;
  /**
   * Single-token products split over K within a workgroup (GPUs: more threads in flight), or one thread per row
   * (CPU-emulated adapters, where a workgroup barrier costs more than the work: SwiftShader decodes the shipped
   * model at ~180 ms a token that way and ~500 ms split).
   */
  readonly splitDecode: boolean;
}

export function createWebGpuOps(tf: Tf, backend: WebGPUBackend, tuning: WebGpuTuning, ropeTables: RopeTables): BackendOps {
  const { nativeDot4 } = tuning;
  const K = {
    perTokenStats: src('bitnet_pt_stats', ['x'], 'T : i32, K : i32, sClamped : f32,', PER_TOKEN_STATS),
    perTokenPack: src('bitnet_pt_pack', ['x', 'stats'], 'T : i32, K : i32, words : i32, sHi : i32, sLo : i32, sE : i32,', PER_TOKEN_PACK),
    q8kStats: src('bitnet_q8k_stats', ['x'], 'blocks : i32,', Q8K_STATS),
    q8kPack: src('bitnet_q8k_pack', ['x', 'stats'], 'T : i32, K : i32, words : i32,', Q8K_PACK),
    q8kDequantize: src('bitnet_q8k_deq', ['q', 'stats'], 'T : i32, K : i32, words : i32,', Q8K_DEQUANTIZE),
    ternaryInt8: src(`bitnet_ternary_i8_${nativeDot4}`, ['w', 'q', 'stats'], 'T : i32, N : i32, Kw : i32, beta : f32,', ternaryInt8Wgsl(nativeDot4)),
    ternaryInt8Decode: src(`bitnet_ternary_i8_decode_${nativeDot4}`, ['w', 'q', 'stats'], 'T : i32, N : i32, Kw : i32, beta : f32,', ternaryInt8DecodeWgsl(nativeDot4), DECODE_ROWS * DECODE_SLICES),
    ternaryFloat: src('bitnet_ternary_f32', ['w', 'x'], 'T : i32, N : i32, K : i32, Kw : i32, beta : f32,', TERNARY_FLOAT),
    rmsnorm: src('bitnet_rmsnorm', ['x', 'weight'], 'T : i32, K : i32, eps : f32,', RMSNORM),
    rope: src('bitnet_rope', ['x', 'cs'], 'T : i32, H : i32, D : i32, startPos : i32,', ROPE),
    siluMul: src('bitnet_silu_mul', ['a', 'b'], 'n : i32,', SILU_MUL),
    reluSqMul: src('bitnet_relu_sq_mul', ['a', 'b'], 'n : i32,', RELU_SQ_MUL),
    add: src('bitnet_add', ['a', 'b'], 'n : i32,', ADD),
    kvAppend: src('bitnet_kv_append', ['src'], 'T : i32, kvDim : i32, startPos : i32,', KV_APPEND),
    scores: src('bitnet_att_scores', ['q', 'kc'], ATTENTION_UNIFORMS, ATTENTION_SCORES),
    softmax: src('bitnet_att_softmax', ['scores'], ATTENTION_UNIFORMS, ATTENTION_SOFTMAX),
    attend: src('bitnet_att_output', ['probs', 'vc'], ATTENTION_UNIFORMS, ATTENTION_OUTPUT),
  };
  const LM_HEAD_UNIFORMS = 'T : i32, V : i32, d : i32, dw : i32, fromRow : i32,';
  const lmHead = (s: GpuMatrix['storage']) => src(`bitnet_lm_head_${s}`, ['table', 'x'], LM_HEAD_UNIFORMS, lmHeadWgsl(s));
  const lmHeadDecode = (s: GpuMatrix['storage']) => src(`bitnet_lm_head_decode_${s}`, ['table', 'x'], LM_HEAD_UNIFORMS, lmHeadDecodeWgsl(s), DECODE_ROWS * DECODE_SLICES);
  /** Workgroups of the split decode kernels: one per DECODE_ROWS rows. */
  const decodeGroups = (rows: number) => Math.ceil(rows / DECODE_ROWS);
  const embed = (s: GpuMatrix['storage']) => src(`bitnet_embed_${s}`, ['table', 'ids'], 'T : i32, V : i32, d : i32, dw : i32,', embedWgsl(s));
  const clamped = clampedScale();

  const tensor = (info: TensorInfo): Tensor => tf.engine().makeTensorFromTensorInfo(info);
  const run = (s: KernelSource, inputs: Tensor[], shape: number[], dtype: 'float32' | 'int32', groups: number, u: UniformValue[]): Tensor =>
    tensor(runKernel(backend, s, inputs, { shape, dtype }, groups, u));
  const threadsFor = (n: number) => Math.ceil(n / WG);
  /** Workgroups for one thread per (token tile, row). */
  const tiled = (rows: number, T: number) => threadsFor(rows * Math.ceil(T / TOKEN_TILE));

  /** Row chunks of equal-shaped tensors (chunk i valid in rows i·chunk ..) merged into one. */
  const mergeRows = (parts: Tensor[], chunk: number, rows: number, cols: number): Tensor => {
    const merged = tf.concat(parts.map((p, i) => tf.slice(p, [i * chunk, 0], [Math.min(chunk, rows - i * chunk), cols])));
    parts.forEach((p) => p.dispose());
    return merged;
  };

  const gated = (s: KernelSource, a: GatedArgs) => {
    const out = act('gated', a.out);
    const n = out.rows * out.cols;
    out.replace(run(s, [act('gated', a.gate).tensor, act('gated', a.up).tensor], [out.rows, out.cols], 'float32', threadsFor(n), [i32u(n)]));
  };

  return {
    embed(a) {
      const out = act('embed', a.out);
      const table = a.table as GpuMatrix;
      const ids = tf.tensor1d(a.tokenIds, 'int32');
      const n = out.rows * out.cols;
      out.replace(run(embed(table.storage), [table.tensor, ids], [out.rows, out.cols], 'float32', threadsFor(n), [i32u(out.rows), i32u(table.rows), i32u(table.cols), i32u(table.words)]));
      ids.dispose();
    },

    rmsnorm(a) {
      const out = act('rmsnorm', a.out);
      const x = act('rmsnorm', a.x);
      out.replace(run(K.rmsnorm, [x.tensor, (a.weight as GpuVector).tensor], [x.rows, x.cols], 'float32', x.rows, [i32u(x.rows), i32u(x.cols), f32u(a.eps)]));
    },

    quantizeActivations(a) {
      const out = quantized('quantizeActivations', a.out);
      const x = act('quantizeActivations', a.x);
      const [T, cols] = [x.rows, x.cols];
      const old = [out.q, out.stats];
      if (out.scheme === 'q8k') {
        const blocks = T * (cols / 256);
        const stats = run(K.q8kStats, [x.tensor], [blocks, 2], 'float32', blocks, [i32u(blocks)]);
        out.q = run(K.q8kPack, [x.tensor, stats], [T, out.words], 'int32', threadsFor(T * out.words), [i32u(T), i32u(cols), i32u(out.words)]);
        out.stats = stats;
      } else {
        const stats = run(K.perTokenStats, [x.tensor], [T, 2], 'float32', T, [i32u(T), i32u(cols), f32u(Math.fround(127 / ACTIVATION_EPS))]);
        out.q = run(K.perTokenPack, [x.tensor, stats], [T, out.words], 'int32', threadsFor(T * out.words), [
          i32u(T), i32u(cols), i32u(out.words), i32u(clamped.hi), i32u(clamped.lo), i32u(clamped.e),
        ]);
        out.stats = stats;
      }
      old.forEach((t) => t?.dispose());
    },

    ternaryMatmul(a) {
      const out = act('ternaryMatmul', a.out);
      const x = quantized('ternaryMatmul', a.x);
      const w = a.w as GpuTernary;
      if (x.q === null || x.stats === null) throw new Error('ternaryMatmul: activations were never quantised');
      const T = x.rows;
      if (x.scheme === 'q8k') {
        // The oracle's form (docs/numerics.md): x' = float32(q · d), then a float32 product.
        const xd = run(K.q8kDequantize, [x.q, x.stats], [T, x.cols], 'float32', threadsFor(T * x.cols), [i32u(T), i32u(x.cols), i32u(x.words)]);
        out.replace(run(K.ternaryFloat, [w.tensor, xd], [T, w.rows], 'float32', tiled(w.rows, T), [i32u(T), i32u(w.rows), i32u(w.cols), i32u(w.words), f32u(w.scale)]));
        xd.dispose();
        return;
      }
      if (T === 1 && tuning.splitDecode) {
        out.replace(run(K.ternaryInt8Decode, [w.tensor, x.q, x.stats], [T, w.rows], 'float32', decodeGroups(w.rows), [i32u(T), i32u(w.rows), i32u(w.words), f32u(w.scale)]));
        return;
      }
      out.replace(run(K.ternaryInt8, [w.tensor, x.q, x.stats], [T, w.rows], 'float32', tiled(w.rows, T), [i32u(T), i32u(w.rows), i32u(w.words), f32u(w.scale)]));
    },

    ternaryMatmulFloat(a) {
      const out = act('ternaryMatmulFloat', a.out);
      const x = act('ternaryMatmulFloat', a.x);
      const w = a.w as GpuTernary;
      out.replace(run(K.ternaryFloat, [w.tensor, x.tensor], [x.rows, w.rows], 'float32', tiled(w.rows, x.rows), [i32u(x.rows), i32u(w.rows), i32u(w.cols), i32u(w.words), f32u(w.scale)]));
    },

    rope(a) {
      const x = act('rope', a.x);
      const cs = ropeTables.table(a.headDim, a.theta, a.startPos + x.rows);
      const H = x.cols / a.headDim;
      const n = (x.rows * H * a.headDim) / 2;
      x.replace(run(K.rope, [x.tensor, cs], [x.rows, x.cols], 'float32', threadsFor(n), [i32u(x.rows), i32u(H), i32u(a.headDim), i32u(a.startPos)]));
    },

    attention(a) {
      const op = 'attention';
      const out = act(op, a.out);
      const [q, k, v] = [act(op, a.q), act(op, a.k), act(op, a.v)];
      const cache = kvCache(op, a.cache);
      const T = q.rows;
      const kvDim = cache.kvDim;
      const [kc, vc] = [cache.k[a.layer], cache.v[a.layer]];
      const append = [i32u(T), i32u(kvDim), i32u(a.startPos)];
      // Written in place (the cache tensor is the program's output binding): no new tensor to wrap.
      runKernel(backend, K.kvAppend, [k.tensor], { shape: [cache.capacity, kvDim], dtype: 'float32' }, threadsFor(T * kvDim), append, kc);
      runKernel(backend, K.kvAppend, [v.tensor], { shape: [cache.capacity, kvDim], dtype: 'float32' }, threadsFor(T * kvDim), append, vc);
      const H = a.numHeads;
      const n = a.startPos + T;
      const chunk = Math.max(1, Math.min(T, Math.floor(MAX_SCORES / (H * n))));
      const parts: Tensor[] = [];
      for (let t0 = 0; t0 < T; t0 += chunk) {
        const Tc = Math.min(chunk, T - t0);
        const u = [i32u(t0), i32u(Tc), i32u(H), i32u(a.numKvHeads), i32u(a.headDim), i32u(a.startPos), i32u(n), f32u(1 / Math.sqrt(a.headDim))];
        const scores = run(K.scores, [q.tensor, kc], [Tc * H, n], 'float32', threadsFor(Tc * H * n), u);
        const probs = run(K.softmax, [scores], [Tc * H, n], 'float32', threadsFor(Tc * H), u);
        // The output pass writes rows t0 .. t0 + Tc − 1 of a [T, H·D] tensor; each chunk gets its own tensor.
        parts.push(run(K.attend, [probs, vc], [T, q.cols], 'float32', threadsFor(Tc * H * a.headDim), u));
        scores.dispose();
        probs.dispose();
      }
      out.replace(parts.length === 1 ? parts[0] : mergeRows(parts, chunk, T, q.cols));
    },

    siluMul: (a) => gated(K.siluMul, a),
    reluSqMul: (a) => gated(K.reluSqMul, a),

    add(a) {
      const out = act('add', a.out);
      const n = out.rows * out.cols;
      out.replace(run(K.add, [act('add', a.a).tensor, act('add', a.b).tensor], [out.rows, out.cols], 'float32', threadsFor(n), [i32u(n)]));
    },

    lmHead(a) {
      const out = act('lmHead', a.out);
      const x = act('lmHead', a.x);
      const table = a.table as GpuMatrix;
      const u = [i32u(out.rows), i32u(table.rows), i32u(table.cols), i32u(table.words), i32u(a.fromRow)];
      const single = out.rows === 1 && tuning.splitDecode;
      const kernel = single ? lmHeadDecode(table.storage) : lmHead(table.storage);
      out.replace(run(kernel, [table.tensor, x.tensor], [out.rows, table.rows], 'float32', single ? decodeGroups(table.rows) : tiled(table.rows, out.rows), u));
    },
  };
}
