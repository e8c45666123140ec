/**
 * How far a backend's result may sit from the spec's naive float64 math (spec/math.ts): one row per (op, backend
 * precision), keyed by `BackendInfo.precision`, each with its derivation (llama.cpp's `max_nmse_err` habit).
 *
 * expectClose accepts element i when |got_i − want_i| ≤ abs + rel · scale_i, where scale_i is |want_i| unless the
 * property passes the op's own error scale (Σ|terms| for a dot product, the pair norm for RoPE, see spec/math.ts).
 *
 * Notation: u = unit roundoff, U64 = 2^-53 (float64), U32 = 2^-24 (float32). A sum of n terms accumulated left to
 * right has error ≤ (n − 1) · u · Σ|terms| (Higham, "Accuracy and Stability of Numerical Algorithms", §4.2); a
 * pairwise or tree sum is no worse. Inputs are float32-representable (spec/arbitraries.ts), so writing them to a
 * float32 backend is exact. Sizes come from LIMITS in spec/arbitraries.ts; raising a limit means revisiting the
 * rows that cite it. A float64 row must also cover the naive math's own rounding, hence the factors of 2; in a
 * float32 row the naive float64 error (≈ 2^-29 times smaller) is absorbed by one extra U32.
 *
 * Integer results (quantised values, the integer dot product of ternaryMatmul) get 0 for every backend.
 */
import type { BackendInfo } from '../src/backends/backend.js';
import type { OpName } from '../src/backends/ops.js';
import { LIMITS } from './arbitraries.js';

export type Precision = BackendInfo['precision'];

export interface Tolerance {
  /** Which row this is, for failure messages: `op/precision`. */
  readonly name: string;
  readonly rel: number;
  readonly abs: number;
}

/** Rows beyond the op names: a second result of an op, or a derived law. */
export type ToleranceKey =
  | OpName
  | 'quantizeActivations.scale'
  | 'quantizeActivations.residual'
  | 'ternaryMatmul.integer'
  | 'ternaryMatmul.q8k';

const U64 = 2 ** -53;
const U32 = 2 ** -24;
const { maxK, maxHeadDim, maxRopePos, maxCtx } = LIMITS;
/** ln of the largest RoPE base generated (1e6): how much an exponent's rounding is amplified by base^e. */
const LN_MAX_THETA = Math.log(1e6);

type Row = { readonly rel: number; readonly abs: number };

export const TOLERANCES: { readonly [K in ToleranceKey]: { readonly [P in Precision]: Row } } = {
  // A gather copies float32 table values, which every precision represents exactly.
  embed: {
    float64: { rel: 0, abs: 0 },
    float32: { rel: 0, abs: 0 },
  },

  // Scale |want| (no cancellation: the sum of squares has positive terms). Per implementation:
  // Σx² ≤ (K − 1)u, /K and +eps 2u, sqrt halves the relative error of its argument (≈ (K + 1)u / 2) plus u,
  // the divide and the weight multiply 2u: ≤ (K/2 + 6)u. float32 adds 2u for an inverseSqrt (WGSL: 2 ULP).
  rmsnorm: {
    float64: { rel: 2 * (maxK / 2 + 6) * U64, abs: 0 }, // (1024 + 12) · 2^-53 ≈ 1.2e-13
    float32: { rel: (maxK / 2 + 9) * U32, abs: 0 }, // 521 · 2^-24 ≈ 3.1e-5
  },

  // q is an integer: exact for every backend (formats §3.1 fixes the rounding, half to even). A float32 backend
  // must therefore decide round(x · s) as float64 would; a .5 tie reached only through float32 rounding is a
  // failure of that backend, not noise (formats §8 shows such flips move logits by up to 0.25).
  quantizeActivations: {
    float64: { rel: 0, abs: 0 },
    float32: { rel: 0, abs: 0 },
  },

  // s = 127 / a with a = max|x| exact (a max is exact): one division, or two roundings as 127 · (1/a);
  // plus the naive division's own rounding: 3u.
  'quantizeActivations.scale': {
    float64: { rel: 3 * U64, abs: 0 },
    float32: { rel: 3 * U32, abs: 0 },
  },

  // Law |q_i − x_i · s| ≤ ½ (rounding to nearest moves at most ½), checked with the backend's own s. The
  // backend's product x · s may be off by u · |x · s| ≤ 127u before it is rounded; allow 128u.
  'quantizeActivations.residual': {
    float64: { rel: 0, abs: 0.5 + 128 * U64 },
    float32: { rel: 0, abs: 0.5 + 128 * U32 },
  },

  // The integer sum Σ q · t is exact in every precision (|Σ| ≤ 127 · K = 130048 < 2^24 for K ≤ 1024, so even a
  // float32 accumulator holds it exactly). Checked with s = 1 and β = 1, where the output is that integer.
  'ternaryMatmul.integer': {
    float64: { rel: 0, abs: 0 },
    float32: { rel: 0, abs: 0 },
  },

  // y = Σ · β / s with Σ exact: a multiply and a divide (or a reciprocal and two multiplies): ≤ 3u; β is
  // float32-exact and s is the backend's own (read back), so nothing else enters. float64: 2 · 2u.
  ternaryMatmul: {
    float64: { rel: 4 * U64, abs: 0 },
    float32: { rel: 4 * U32, abs: 0 },
  },

  // Q8_K: scale β · Σ|x' · t| with x' = float32(q · d) (the oracle's form). float64: a sum of K exact terms and
  // the β multiply, ≤ (K + 1)u per implementation. float32: a backend may sum d · Σ_b q · t per block instead (as
  // llama.cpp does), which differs from Σ float32(q · d) · t by one float32 rounding per term: ≤ (K + 4)u.
  'ternaryMatmul.q8k': {
    float64: { rel: 2 * (maxK + 1) * U64, abs: 0 },
    float32: { rel: (maxK + 4) * U32, abs: 0 },
  },

  // Unquantised ternary product: scale β · Σ|x · t|. K − 1 additions of exact terms (t ∈ {−1, 0, 1}) and one
  // multiply by β: ≤ K · u per implementation.
  ternaryMatmulFloat: {
    float64: { rel: 2 * (maxK + 1) * U64, abs: 0 }, // ≈ 2.3e-13
    float32: { rel: (maxK + 2) * U32, abs: 0 }, // ≈ 6.1e-5
  },

  // Scale: the norm of the rotated pair. An error δθ in the angle moves the pair by |pair| · δθ, and cos/sin
  // and the two-term rotation add ≈ 3u each way.
  // float64: the exponent 2i/D rounds identically everywhere (one correctly rounded division), so two
  //   implementations differ only in pow (≤ 1 ulp), an optional reciprocal (HF's 1/base^(2i/D): 1u) and
  //   p · inv_freq (1u): δθ ≤ 5u · θ ≤ 5u · maxRopePos; ×2 implementations for the trig terms. A float64
  //   backend that derives inv_freq another way (exp/log, llama.cpp's iterated product) needs its own row.
  // float32 (formats §4.3: inv_freq and θ in fp32, as HF does): the fp32 exponent's rounding is amplified by
  //   ln(base) ≤ ln(1e6) ≈ 13.8, pow/reciprocal/multiply add ≈ 4u: δθ ≤ (ln(1e6) + 4)u · θ, ≈ 4.4e-3 at
  //   position 4112. A backend building cos/sin tables in float64 sits far inside this; WGSL's builtin sin/cos
  //   (absolute error 2^-11 on [−π, π] only) do not, so they must not be used on unreduced angles.
  rope: {
    float64: { rel: (5 * maxRopePos + 6) * U64, abs: 0 }, // ≈ 2.3e-12
    float32: { rel: ((LN_MAX_THETA + 4) * maxRopePos + 8) * U32, abs: 0 }, // ≈ 4.4e-3
  },

  // Scale: (1 + Z) · Σ_j α_j |v_j,i| with Z = max_j Σ_d |q_d k_j,d| / √D (spec/math.ts naiveAttention).
  // A score error δ ≤ (D + 1)u · Z moves α_j by ≤ α_j · 2δ; exp, the softmax sum over n ≤ maxCtx terms and the
  // divide move each α_j by ≤ (n + 4)u relative; Σ_j α_j v_j adds n·u · Σα|v|. So per implementation
  // |Δo_i| ≤ Σα|v| · (2(D + 1)u · Z + (2n + 4)u) ≤ scale_i · (2(D + 1) + 2n + 4)u.
  // float32 adds WGSL's exp error, 3 + 2|x| ULP at x = z − max: relative to α_j that is ≤ (3 + 4Z)u, covered by 8u
  // more. abs: exp underflow drops weights below 2^-1074 (float64) or 2^-126 (float32, flushed), i.e. at most
  // maxCtx · 2^-126 · maxAbs = 2^-104 in float32.
  attention: {
    float64: { rel: 2 * (2 * (maxHeadDim + 1) + 2 * maxCtx + 4) * U64, abs: 2 ** -1000 }, // 780 · 2^-53 ≈ 8.7e-14
    float32: { rel: (2 * (maxHeadDim + 1) + 2 * maxCtx + 12) * U32, abs: 2 ** -100 }, // 398 · 2^-24 ≈ 2.4e-5
  },

  // max(g, 0)² · up: two multiplies (2u) per implementation; no under/overflow for |values| in [2^-30, 2^16].
  reluSqMul: {
    float64: { rel: 4 * U64, abs: 0 },
    float32: { rel: 3 * U32, abs: 0 },
  },

  // g / (1 + e^−g) · up: d log(silu) / d log(e^−g) = e^−g / (1 + e^−g) ≤ 1, so exp's relative error passes through
  // at most once; + the add, divide and two multiplies: float64 ≤ 5u (V8's exp < 1 ulp) per implementation.
  // float32: WGSL's exp has 3 + 2|x| ULP; it only matters while e^−g neither overflows nor underflows (|g| < 89):
  // ≤ (3 + 2 · 89 + 5)u. abs: for g < −88.7 e^−g overflows float32 and the result is 0, while the true
  // |g e^g up| ≤ 89 · e^−88.7 · 2^16 < 2^-104; results below 2^-126 may be flushed.
  // float64 abs: for g below about −700 the result is subnormal, where each operation rounds to a multiple of
  // 2^-1074 and a relative bound cannot hold (seen: 1 subnormal ulp at 5e-310); allow 16 such ulps.
  siluMul: {
    float64: { rel: 10 * U64, abs: 2 ** -1070 },
    float32: { rel: (3 + 2 * 89 + 5) * U32, abs: 2 ** -100 }, // 186 · 2^-24 ≈ 1.1e-5
  },

  // One correctly rounded addition each side: float64 results are identical; the bound covers both roundings.
  add: {
    float64: { rel: 2 * U64, abs: 0 },
    float32: { rel: 2 * U32, abs: 0 },
  },

  // Scale Σ_i |E_v,i · x_t,i| (cancellation is real in logits): a d-term dot product, ≤ d · u per implementation.
  lmHead: {
    float64: { rel: 2 * maxK * U64, abs: 0 }, // ≈ 2.3e-13
    float32: { rel: (maxK + 1) * U32, abs: 0 }, // ≈ 6.1e-5
  },
};

/** The row for `key` on a backend of `precision`; throws for a precision without rows (add them first). */
export function tolerance(key: ToleranceKey, precision: Precision): Tolerance {
  const row = TOLERANCES[key][precision];
  if (row === undefined) throw new Error(`spec/tolerances.ts has no row for ${key} at precision ${precision}`);
  return { name: `${key}/${precision}`, ...row };
}

/** A row widened k times, for laws that compare two results that each carry the row's error. */
export function widened(tol: Tolerance, k: number): Tolerance {
  return { name: `${tol.name}×${k}`, rel: tol.rel * k, abs: tol.abs * k };
}
