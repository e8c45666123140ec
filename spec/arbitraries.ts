/**
 * fast-check arbitraries for the backend specs. They aim at edge cases on purpose (style guide, llama.cpp
 * test-backend-ops): odd row counts (1, 17), reduction lengths K that are ragged (not a multiple of 4, so the
 * last packed ternary byte is partial) and multiples of 256 (TQ blocks, formats §7), all-zero tokens (the 1e-5
 * clamp of formats §3.1), tokens so small the clamp is active, one-hot tokens, large magnitudes, exact .5 ties
 * after scaling, GQA head layouts and even head dims that are not powers of two (96, 100).
 *
 * Every generated value is exactly representable in float32, so a float32 backend receives exactly the inputs
 * the float64 naive math (spec/math.ts) sees: the only differences left are the backend's own arithmetic.
 * Non-zero magnitudes stay in [2^-30, 2^16], so no product or square of two of them leaves float32's normal range.
 *
 * Large matrices are filled from a seeded PRNG instead of one fast-check value per element: generation stays
 * cheap, the seed is part of the counterexample, and a failure prints a one-line summary (via fc.toStringMethod)
 * instead of thousands of numbers.
 */
import fc from 'fast-check';

/**
 * The largest sizes any arbitrary here produces. spec/tolerances.ts derives its bounds from these, so raising a
 * limit means revisiting the tolerance rows that cite it.
 */
export const LIMITS = {
  /** Longest reduction (rmsnorm K, ternaryMatmul K, lmHead d). */
  maxK: 1024,
  /** Most rows (tokens) in one call. */
  maxRows: 17,
  /** Largest head dimension. */
  maxHeadDim: 128,
  /** Largest RoPE position reached (startPos + T − 1, or p1 + p2 in the composition law). */
  maxRopePos: 4096 + 16,
  /** Most cached positions one attention query can see (prefix + T). */
  maxCtx: 64,
  /** Largest |x| of any generated activation or weight. */
  maxAbs: 2 ** 16,
} as const;

/** How the values of one row (token) are drawn. */
export type RowKind = 'mixed' | 'large' | 'zero' | 'tiny' | 'onehot';

/** A host matrix [rows, cols], row-major, every element float32-representable. */
export interface Mat {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
  readonly kinds: readonly RowKind[];
}

/** mulberry32: a small seeded PRNG in [0, 1). Deterministic, so a fast-check seed replays the exact data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A float32 value with |v| in [2^eMin, 2^(eMax+1)] and a random sign. */
function signedMagnitude(r: () => number, eMin: number, eMax: number): number {
  const e = eMin + Math.floor(r() * (eMax - eMin + 1));
  const m = Math.fround(2 ** e * (1 + r()));
  return r() < 0.5 ? -m : m;
}

/** One element of a row of the given kind (onehot rows are handled by the caller). */
function sample(r: () => number, kind: RowKind): number {
  switch (kind) {
    case 'zero':
      return 0;
    case 'tiny': // every |x| < 2^-17 < 1e-5: max|x| is below the clamp of formats §3.1
      return signedMagnitude(r, -30, -18);
    case 'large': // a wide dynamic range, up to 2^16
      return r() < 0.05 ? 0 : signedMagnitude(r, -16, 15);
    case 'mixed':
    case 'onehot': {
      const u = r();
      if (u < 0.08) return 0;
      if (u < 0.18) return Math.floor(r() * 17) - 8; // small integers, including exact zeros
      return signedMagnitude(r, -16, 2); // |x| < 8
    }
  }
}

function fillRow(out: Float64Array, offset: number, cols: number, kind: RowKind, r: () => number): void {
  if (kind === 'onehot') {
    const hot = Math.floor(r() * cols);
    for (let i = 0; i < cols; i++) out[offset + i] = 0;
    let v = 0;
    while (v === 0) v = sample(r, 'mixed');
    out[offset + hot] = v;
    return;
  }
  for (let i = 0; i < cols; i++) out[offset + i] = sample(r, kind);
}

function describeMat(m: { rows: number; cols: number; kinds: readonly RowKind[] }, seed: number): string {
  return `Mat[${m.rows}×${m.cols}](kinds=${m.kinds.join(',')}, seed=${seed})`;
}

/** The row kinds, weighted towards ordinary data but with every edge case common enough to appear in 100 runs. */
export const rowKind: fc.Arbitrary<RowKind> = fc.oneof(
  { arbitrary: fc.constant<RowKind>('mixed'), weight: 6 },
  { arbitrary: fc.constant<RowKind>('large'), weight: 2 },
  { arbitrary: fc.constant<RowKind>('zero'), weight: 1 },
  { arbitrary: fc.constant<RowKind>('tiny'), weight: 1 },
  { arbitrary: fc.constant<RowKind>('onehot'), weight: 1 },
);

/** Row kinds for inputs whose products must stay moderate (attention q and k): no 'large'. */
export const moderateRowKind: fc.Arbitrary<RowKind> = fc.oneof(
  { arbitrary: fc.constant<RowKind>('mixed'), weight: 8 },
  { arbitrary: fc.constant<RowKind>('zero'), weight: 1 },
  { arbitrary: fc.constant<RowKind>('onehot'), weight: 1 },
);

/** A [rows, cols] matrix whose rows are drawn with `kinds`. */
export function matrix(rows: number, cols: number, kinds: fc.Arbitrary<RowKind> = rowKind): fc.Arbitrary<Mat> {
  return fc
    .record({ kinds: fc.array(kinds, { minLength: rows, maxLength: rows }), seed: fc.integer() })
    .map(({ kinds: k, seed }) => {
      const r = prng(seed);
      const data = new Float64Array(rows * cols);
      for (let t = 0; t < rows; t++) fillRow(data, t * cols, cols, k[t], r);
      const m = { rows, cols, data, kinds: k };
      return Object.assign(m, { [fc.toStringMethod]: () => describeMat(m, seed) });
    });
}

/** Row (token) counts: the awkward 1 and 17 often, anything in between otherwise. */
export const rowCount: fc.Arbitrary<number> = fc.oneof(fc.constantFrom(1, LIMITS.maxRows), fc.integer({ min: 1, max: LIMITS.maxRows }));

/** Reduction lengths K: ragged (odd, not a multiple of 4), multiples of 256 (TQ blocks) and anything up to 300. */
export const reductionLength: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(1, 2, 3, 5, 7, 13, 17, 33, 63, 127, 129, 255, 257, 513),
  fc.constantFrom(256, 512, 768, LIMITS.maxK),
  fc.integer({ min: 1, max: 300 }),
);

/** Output widths N / vocabulary sizes V: 1, 17 and small odd counts. */
export const outputCount: fc.Arbitrary<number> = fc.oneof(fc.constantFrom(1, 17, 33), fc.integer({ min: 1, max: 40 }));

/** A positive float32 scale (β, a norm weight) in [2^-10, 4]. */
export const positiveScale: fc.Arbitrary<number> = fc.oneof(
  fc.constant(1),
  fc.float({ min: Math.fround(2 ** -10), max: 4, noNaN: true, noDefaultInfinity: true }),
);

/** A vector of length n drawn like one 'mixed' row (zeros and negative entries included) or all ones. */
export function vector(n: number): fc.Arbitrary<Float64Array> {
  return fc.oneof(
    { arbitrary: matrix(1, n, fc.constant<RowKind>('mixed')).map((m) => m.data), weight: 4 },
    { arbitrary: fc.constant(null).map(() => new Float64Array(n).fill(1)), weight: 1 },
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Per-op cases.

export interface EmbedCase {
  readonly table: Mat; // [V, d]
  readonly ids: Int32Array; // [T], each in [0, V)
}

export const embedCase: fc.Arbitrary<EmbedCase> = fc
  .record({ V: outputCount, d: reductionLength, T: rowCount })
  .chain(({ V, d, T }) =>
    fc.record({
      table: matrix(V, d),
      ids: fc
        .array(fc.oneof(fc.constantFrom(0, V - 1), fc.integer({ min: 0, max: V - 1 })), { minLength: T, maxLength: T })
        .map((a) => Int32Array.from(a)),
    }),
  );

export interface RmsnormCase {
  readonly x: Mat; // [T, K]
  readonly weight: Float64Array; // [K]
  readonly eps: number;
}

/** eps from 1e-6 to 10 (llama.cpp tests eps up to 10); eps = 0 has its own property on non-zero rows. */
export const rmsnormCase: fc.Arbitrary<RmsnormCase> = fc
  .record({ T: rowCount, K: reductionLength, eps: fc.constantFrom(1e-6, 1e-5, 1e-2, 1, 10) })
  .chain(({ T, K, eps }) => fc.record({ x: matrix(T, K), weight: vector(K), eps: fc.constant(eps) }));

/** Rows with at least one non-zero element (for eps = 0, where an all-zero row is 0/0). */
export const nonZeroRows: fc.Arbitrary<Mat> = fc
  .record({ T: rowCount, K: reductionLength })
  .chain(({ T, K }) => matrix(T, K, fc.constantFrom<RowKind>('mixed', 'large', 'tiny', 'onehot')))
  .filter((m) => {
    for (let t = 0; t < m.rows; t++) {
      let any = false;
      for (let i = 0; i < m.cols; i++) any ||= m.data[t * m.cols + i] !== 0;
      if (!any) return false;
    }
    return true;
  });

/** Activations [T, K] for quantisation: every row kind, K ragged and ×256. */
export const activationCase: fc.Arbitrary<Mat> = fc.record({ T: rowCount, K: reductionLength }).chain(({ T, K }) => matrix(T, K));

export interface TieCase {
  readonly x: Mat;
  /** Per row, the power of two e with max|x| = 127 · 2^e, so s = 2^-e and x · s is exact. */
  readonly exponents: Int32Array;
}

/**
 * Rows where x · s lands exactly on k + ½ (formats §3.1: round half to even). Each row has one anchor
 * ±127 · 2^e (so a = 127 · 2^e and s = 127 / a = 2^-e exactly, in any precision); the other elements are
 * (k + ½) · 2^e or k · 2^e with k ∈ [−127, 126], so x · s is computed exactly and half the values are ties — at
 * least one per row of two or more (the element after the anchor).
 */
export const tieCase: fc.Arbitrary<TieCase> = fc
  .record({ T: rowCount, K: fc.oneof(fc.constantFrom(1, 2, 3, 17, 256), fc.integer({ min: 1, max: 300 })), seed: fc.integer() })
  .map(({ T, K, seed }) => {
    const r = prng(seed);
    const data = new Float64Array(T * K);
    const exponents = new Int32Array(T);
    for (let t = 0; t < T; t++) {
      const e = Math.floor(r() * 17) - 8;
      exponents[t] = e;
      const anchor = Math.floor(r() * K);
      const tie = (anchor + 1) % K; // always a tie (when K > 1), so no row of a case is tie-free by chance
      for (let i = 0; i < K; i++) {
        const k = Math.floor(r() * 254) - 127;
        data[t * K + i] = i === anchor ? (r() < 0.5 ? -127 : 127) * 2 ** e : (k + (i === tie || r() < 0.5 ? 0.5 : 0)) * 2 ** e;
      }
    }
    const x: Mat = { rows: T, cols: K, data, kinds: Array<RowKind>(T).fill('mixed') };
    return Object.assign({ x, exponents }, { [fc.toStringMethod]: () => `TieCase[${T}×${K}](seed=${seed})` });
  });

export type TernaryRowKind = 'random' | 'plus' | 'minus' | 'zero' | 'sparse';

const ternaryRowKind: fc.Arbitrary<TernaryRowKind> = fc.oneof(
  { arbitrary: fc.constant<TernaryRowKind>('random'), weight: 6 },
  { arbitrary: fc.constantFrom<TernaryRowKind>('plus', 'minus', 'zero', 'sparse'), weight: 2 },
);

/** Ternary weights t ∈ {−1, 0, +1}, [N, K] row-major, about a third zeros in 'random' rows. */
export interface Ternary {
  readonly rows: number;
  readonly cols: number;
  readonly t: Int8Array;
}

export function ternary(N: number, K: number): fc.Arbitrary<Ternary> {
  return fc
    .record({ kinds: fc.array(ternaryRowKind, { minLength: N, maxLength: N }), seed: fc.integer() })
    .map(({ kinds, seed }) => {
      const r = prng(seed);
      const t = new Int8Array(N * K);
      for (let j = 0; j < N; j++) {
        for (let i = 0; i < K; i++) {
          const k = kinds[j];
          t[j * K + i] = k === 'plus' ? 1 : k === 'minus' ? -1 : k === 'zero' ? 0 : k === 'sparse' ? (r() < 0.05 ? (r() < 0.5 ? -1 : 1) : 0) : Math.floor(r() * 3) - 1;
        }
      }
      return Object.assign({ rows: N, cols: K, t }, { [fc.toStringMethod]: () => `Ternary[${N}×${K}](kinds=${kinds.join(',')}, seed=${seed})` });
    });
}

export interface TernaryCase {
  readonly x: Mat; // [T, K]
  readonly w: Ternary; // [N, K]
  readonly beta: number;
}

/** Reduction lengths for llama.cpp's Q8_K scheme: whole 256-element blocks. */
export const q8kLength: fc.Arbitrary<number> = fc.constantFrom(256, 512, 768, LIMITS.maxK);

/** Activations whose width is whole Q8_K blocks. */
export const q8kActivationCase: fc.Arbitrary<Mat> = fc.record({ T: rowCount, K: q8kLength }).chain(({ T, K }) => matrix(T, K));

export const q8kTernaryCase: fc.Arbitrary<TernaryCase> = fc
  .record({ T: rowCount, K: q8kLength, N: outputCount })
  .chain(({ T, K, N }) => fc.record({ x: matrix(T, K), w: ternary(N, K), beta: positiveScale }));

export const ternaryCase: fc.Arbitrary<TernaryCase> = fc
  .record({ T: rowCount, K: reductionLength, N: outputCount })
  .chain(({ T, K, N }) => fc.record({ x: matrix(T, K), w: ternary(N, K), beta: positiveScale }));

/**
 * Integer activations in [−127, 127] with max|x| = 127 in every row, so that quantisation gives s = 127 / 127 = 1
 * exactly and q = x exactly, in any precision. With β = 1 the product is then the exact integer dot product.
 * 'saturate' rows are all ±127 (with 'plus'/'minus' weight rows they reach the extreme sum ±127 · K).
 */
export const integerTernaryCase: fc.Arbitrary<{ x: Mat; w: Ternary }> = fc
  .record({ T: rowCount, K: reductionLength, N: outputCount })
  .chain(({ T, K, N }) =>
    fc.record({
      x: fc
        .record({ saturate: fc.array(fc.boolean(), { minLength: T, maxLength: T }), seed: fc.integer() })
        .map(({ saturate, seed }) => {
          const r = prng(seed);
          const data = new Float64Array(T * K);
          for (let t = 0; t < T; t++) {
            const sign = r() < 0.5 ? -1 : 1;
            const anchor = Math.floor(r() * K);
            for (let i = 0; i < K; i++) data[t * K + i] = saturate[t] ? sign * 127 : Math.floor(r() * 255) - 127;
            data[t * K + anchor] = sign * 127;
          }
          const m: Mat = { rows: T, cols: K, data, kinds: Array<RowKind>(T).fill('mixed') };
          return Object.assign(m, { [fc.toStringMethod]: () => `IntMat[${T}×${K}](saturate=${saturate.join(',')}, seed=${seed})` });
        }),
      w: ternary(N, K),
    }),
  );

/** Even head dims: powers of two, plus 96 and 100 (1bitLLM large / 3B, formats §4.1) and the smallest, 2. */
export const headDim: fc.Arbitrary<number> = fc.constantFrom(2, 4, 6, 8, 16, 64, 96, 100, 128);

/** RoPE bases used by the shipped models (formats §4.1) and one larger. */
export const ropeTheta: fc.Arbitrary<number> = fc.constantFrom(10000, 500000, 1e6);

export interface RopeCase {
  readonly x: Mat; // [T, H · D]
  readonly numHeads: number;
  readonly headDim: number;
  readonly startPos: number;
  readonly theta: number;
}

export const ropeCase: fc.Arbitrary<RopeCase> = fc
  .record({
    T: rowCount,
    numHeads: fc.integer({ min: 1, max: 5 }),
    headDim,
    startPos: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: LIMITS.maxRopePos - LIMITS.maxRows })),
    theta: ropeTheta,
  })
  .chain(({ T, numHeads, headDim: D, startPos, theta }) =>
    fc.record({
      x: matrix(T, numHeads * D),
      numHeads: fc.constant(numHeads),
      headDim: fc.constant(D),
      startPos: fc.constant(startPos),
      theta: fc.constant(theta),
    }),
  );

export interface RopeComposeCase {
  readonly x: Mat; // [1, H · D]
  readonly numHeads: number;
  readonly headDim: number;
  readonly p1: number;
  readonly p2: number;
  readonly theta: number;
}

/** One token rotated at p1 then p2, against p1 + p2 (p1 + p2 ≤ LIMITS.maxRopePos). */
export const ropeComposeCase: fc.Arbitrary<RopeComposeCase> = fc
  .record({
    numHeads: fc.integer({ min: 1, max: 4 }),
    headDim,
    p1: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: LIMITS.maxRopePos / 2 })),
    p2: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: LIMITS.maxRopePos / 2 })),
    theta: ropeTheta,
  })
  .chain(({ numHeads, headDim: D, p1, p2, theta }) =>
    fc.record({
      x: matrix(1, numHeads * D),
      numHeads: fc.constant(numHeads),
      headDim: fc.constant(D),
      p1: fc.constant(p1),
      p2: fc.constant(p2),
      theta: fc.constant(theta),
    }),
  );

export interface AttentionCase {
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  /** Tokens already in the cache before the call under test (written by an earlier attention call). */
  readonly prefix: number;
  /** Tokens in the call under test. */
  readonly T: number;
  /** Layer of a two-layer cache; the other layer is filled with unrelated tokens first. */
  readonly layer: number;
  /** Where to split the T tokens for the two-call causality law, in [1, T) (0 when T = 1). */
  readonly split: number;
  readonly q: Mat; // [prefix + T, H · D]
  readonly k: Mat; // [prefix + T, Hkv · D]
  readonly v: Mat; // [prefix + T, Hkv · D]
  readonly noise: Mat; // [prefix + T, Hkv · D], for the other layer
}

/** GQA layouts: numHeads = numKvHeads · group with group ∈ {1, 2, 4, 8} (2B-4T has group 4, formats §4.1; 8 gives the cuda kernel two head groups a kv head). */
/** Attention cases over contexts of up to `maxCtx` positions, with at least `minPrefix` of them cached earlier. */
function attentionCases(o: { maxCtx: number; minPrefix: number; maxKvHeads: number; groups: number[]; headDims: number[]; rows: fc.Arbitrary<number> }): fc.Arbitrary<AttentionCase> {
  return fc
    .record({
      numKvHeads: fc.integer({ min: 1, max: o.maxKvHeads }),
      group: fc.constantFrom(...o.groups),
      headDim: fc.constantFrom(...o.headDims),
      T: o.rows,
      prefixFrac: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true })),
      layer: fc.constantFrom(0, 1),
      splitFrac: fc.double({ min: 0, max: 1, noNaN: true }),
    })
    .chain(({ numKvHeads, group, headDim: D, T, prefixFrac, layer, splitFrac }) => {
      const prefix = o.minPrefix + Math.floor(prefixFrac * (o.maxCtx - T - o.minPrefix));
      const n = prefix + T;
      const H = numKvHeads * group;
      const kvDim = numKvHeads * D;
      return fc.record({
        numHeads: fc.constant(H),
        numKvHeads: fc.constant(numKvHeads),
        headDim: fc.constant(D),
        prefix: fc.constant(prefix),
        T: fc.constant(T),
        layer: fc.constant(layer),
        split: fc.constant(T === 1 ? 0 : 1 + Math.min(T - 2, Math.floor(splitFrac * (T - 1)))),
        q: matrix(n, H * D, moderateRowKind),
        k: matrix(n, kvDim, moderateRowKind),
        v: matrix(n, kvDim),
        noise: matrix(n, kvDim),
      });
    });
}

export const attentionCase: fc.Arbitrary<AttentionCase> = attentionCases({
  maxCtx: LIMITS.maxCtx,
  minPrefix: 0,
  maxKvHeads: 3,
  groups: [1, 2, 4, 8],
  headDims: [2, 4, 8, 16, 64, 100, 128],
  rows: fc.oneof(fc.constantFrom(1, LIMITS.maxRows), fc.integer({ min: 1, max: 8 })),
});

/**
 * Contexts of 129 to 700 positions: more keys than a GPU block takes at once (the cuda kernel walks 128 at a time
 * with an online softmax), so that a kernel's chunking and rescaling are exercised, not only its first chunk.
 */
export const longAttentionCase: fc.Arbitrary<AttentionCase> = attentionCases({
  maxCtx: 700,
  minPrefix: 129,
  maxKvHeads: 2,
  groups: [1, 2, 4, 8],
  headDims: [2, 8, 64],
  rows: fc.integer({ min: 1, max: 4 }),
});

export interface GatedCase {
  readonly gate: Mat; // [T, F]
  readonly up: Mat; // [T, F]
}

export const gatedCase: fc.Arbitrary<GatedCase> = fc
  .record({ T: rowCount, F: reductionLength })
  .chain(({ T, F }) => fc.record({ gate: matrix(T, F), up: matrix(T, F) }));

export interface AddCase {
  readonly a: Mat; // [T, d]
  readonly b: Mat; // [T, d]
}

export const addCase: fc.Arbitrary<AddCase> = fc
  .record({ T: rowCount, d: reductionLength })
  .chain(({ T, d }) => fc.record({ a: matrix(T, d), b: matrix(T, d) }));

export interface LmHeadCase {
  readonly x: Mat; // [T, d]
  readonly table: Mat; // [V, d]
  readonly fromRow: number; // in [0, T)
}

export const lmHeadCase: fc.Arbitrary<LmHeadCase> = fc
  .record({ T: rowCount, d: reductionLength, V: outputCount })
  .chain(({ T, d, V }) =>
    fc.record({
      x: matrix(T, d),
      table: matrix(V, d),
      fromRow: fc.oneof(fc.constantFrom(0, T - 1), fc.integer({ min: 0, max: T - 1 })),
    }),
  );
