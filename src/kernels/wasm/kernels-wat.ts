/**
 * The WASM SIMD kernels, as WebAssembly text generated here and assembled at build time (scripts/build-wasm.mjs,
 * with the `wabt` package) into two modules: one using relaxed SIMD's i16x8.relaxed_dot_i8x16_i7x16_s (the fastest
 * ternary dot product measured in Node 20, ../shared reference wasm-kernels.md), one using only baseline 128-bit
 * SIMD for engines without relaxed SIMD. Both compute the same exact integers.
 *
 * Why hand-written WAT and not AssemblyScript: the kernels are a few loops whose speed is decided instruction by
 * instruction (which dot form, shuffles V8 lowers well, when to widen accumulators); generating the text from
 * TypeScript keeps them readable and lets both variants share one source (docs/backends.md).
 *
 * Exports, all over one shared linear memory (imported as env.memory), each taking a range of output rows or
 * heads so that threads can split the work:
 * - ternary_dots_rows(w, groups, kblocks, x, T, out, scratch, g0, g1): ternary-wat.ts;
 * - ternary_products(desc, count, x, T, scales, sums, scratch, g0, g1), ternary_q8k_rows(…): ternary-products-wat.ts;
 * - lm_head_f32 / _f16 / _f16x / _bf16(table, V, d, x, T, out, v0, v1), lm_head_i8(…): lm-head-wat.ts;
 * - attention_heads(q, kc, vc, out, T, startPos, H, Hkv, D, cap, scores, h0, h1): attention-wat.ts;
 * - quantize_rows(x, T, K, q, paddedK, scales, sums): quantize-wat.ts;
 * - rmsnorm_rows, silu_mul, relu_sq_mul, add: elementwise-wat.ts.
 */
import { ATTENTION_WAT } from './attention-wat.js';
import { ELEMENTWISE_WAT } from './elementwise-wat.js';
import { LM_HEAD_I8_WAT, lmHeadWat, TABLE_KERNELS } from './lm-head-wat.js';
import { QUANTIZE_WAT } from './quantize-wat.js';
import { TERNARY_PRODUCTS_WAT, TERNARY_Q8K_WAT } from './ternary-products-wat.js';
import { ternaryDotsWat } from './ternary-wat.js';

/** The whole module's text; `relaxed` chooses the dot-product instruction. */
export function kernelsWat(relaxed: boolean): string {
  return `(module
  (import "env" "memory" (memory 1 65536 shared))
  ${ternaryDotsWat(relaxed)}
  ${TERNARY_PRODUCTS_WAT}
  ${TERNARY_Q8K_WAT}
  ${TABLE_KERNELS.map((s) => lmHeadWat(s, relaxed)).join('\n')}
  ${LM_HEAD_I8_WAT}
  ${ATTENTION_WAT}
  ${QUANTIZE_WAT}
  ${ELEMENTWISE_WAT}
)`;
}
