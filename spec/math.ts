/**
 * The spec's own naive math for every op, written from bitnet-formats.md and nothing else (it deliberately does not
 * import src/kernels: an oracle that shares code with the thing it judges judges nothing). Plain loops in float64,
 * in the order the formulas are written; slow and obvious on purpose. Every backend, the reference included, is
 * compared against these.
 *
 * Some functions also return an error *scale* per output element: the magnitude a floating-point error bound is
 * proportional to (Σ|terms| for a dot product, the pair norm for a rotation). spec/expect-close.ts multiplies it by
 * the relative tolerance of spec/tolerances.ts.
 */

/** formats §4.2: out[t, :] = E[id_t, :], a plain row gather. table: [V, d]. */
export function naiveEmbed(table: ArrayLike<number>, d: number, ids: Int32Array): Float64Array {
  const out = new Float64Array(ids.length * d);
  for (let t = 0; t < ids.length; t++) {
    for (let i = 0; i < d; i++) out[t * d + i] = table[ids[t] * d + i];
  }
  return out;
}

/** formats §4.2: RMS(x; w) = w ⊙ x / sqrt(mean(x²) + eps), per row. x: [T, K]; w: [K]. */
export function naiveRmsnorm(x: ArrayLike<number>, T: number, K: number, w: ArrayLike<number>, eps: number): Float64Array {
  const out = new Float64Array(T * K);
  for (let t = 0; t < T; t++) {
    let sumSq = 0;
    for (let i = 0; i < K; i++) sumSq += x[t * K + i] * x[t * K + i];
    const denom = Math.sqrt(sumSq / K + eps);
    for (let i = 0; i < K; i++) out[t * K + i] = (w[i] * x[t * K + i]) / denom;
  }
  return out;
}

/**
 * Round half to even (PyTorch `round`, formats §3.1), written differently from src on purpose: Math.round
 * (nearest, ties towards +∞) everywhere except at an exact half, detected with the exact `% 1`, where
 * 2 · round(v / 2) picks the even neighbour (v / 2 is exact, and lands on m + ¼ or m + ¾).
 */
export function roundHalfEven(v: number): number {
  if (Math.abs(v % 1) === 0.5) return 2 * Math.round(v / 2);
  return Math.round(v);
}

/** formats §3.1 activation quantisation constants. */
export const QUANT_EPS = 1e-5;
export const QUANT_MAX = 127;

/**
 * formats §3.1: a = max(max_i |x_i|, 1e-5), s = 127 / a, q_i = clamp(round(x_i · s), −128, 127), per row.
 * x: [T, K] → q: [T, K], s: [T].
 */
export function naiveQuantize(x: ArrayLike<number>, T: number, K: number): { q: Int8Array; s: Float64Array } {
  const q = new Int8Array(T * K);
  const s = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    let a = 0;
    for (let i = 0; i < K; i++) if (Math.abs(x[t * K + i]) > a) a = Math.abs(x[t * K + i]);
    if (a < QUANT_EPS) a = QUANT_EPS;
    s[t] = QUANT_MAX / a;
    for (let i = 0; i < K; i++) {
      const r = roundHalfEven(x[t * K + i] * s[t]);
      q[t * K + i] = r > 127 ? 127 : r < -128 ? -128 : r;
    }
  }
  return { q, s };
}

/** Σ_i q_i · t_i over K elements of two unpacked integer rows: exact (|Σ| ≤ 128 · K, far below 2^53). */
export function naiveTernaryDot(q: ArrayLike<number>, qOffset: number, t: ArrayLike<number>, tOffset: number, K: number): number {
  let acc = 0;
  for (let i = 0; i < K; i++) acc += q[qOffset + i] * t[tOffset + i];
  return acc;
}

/**
 * formats §3.1 BitLinear: y[r, j] = (Σ_i q[r, i] · t[j, i]) · β / s[r]. q: [T, K]; t: [N, K] unpacked; s: [T].
 * Returns the exact integer sums too, [T, N].
 */
export function naiveTernaryMatmul(
  q: ArrayLike<number>,
  s: ArrayLike<number>,
  T: number,
  K: number,
  t: Int8Array,
  N: number,
  beta: number,
): { y: Float64Array; dots: Float64Array } {
  const y = new Float64Array(T * N);
  const dots = new Float64Array(T * N);
  for (let r = 0; r < T; r++) {
    for (let j = 0; j < N; j++) {
      const dot = naiveTernaryDot(q, r * K, t, j * K, K);
      dots[r * N + j] = dot;
      y[r * N + j] = (dot * beta) / s[r];
    }
  }
  return { y, dots };
}

/**
 * formats §4.3 half-split RoPE: θ_i(p) = p · base^(−2i/D); x'_i = x_i cos θ − x_{i+D/2} sin θ,
 * x'_{i+D/2} = x_{i+D/2} cos θ + x_i sin θ. x: [T, H · D], row t at position startPos + t.
 * Returns the rotated copy and, per element, the norm of the pair it belongs to (the error scale).
 */
export function naiveRope(
  x: ArrayLike<number>,
  T: number,
  H: number,
  D: number,
  startPos: number,
  base: number,
): { out: Float64Array; pairNorm: Float64Array } {
  const out = new Float64Array(T * H * D);
  const pairNorm = new Float64Array(T * H * D);
  const half = D / 2;
  for (let t = 0; t < T; t++) {
    const p = startPos + t;
    for (let h = 0; h < H; h++) {
      const o = (t * H + h) * D;
      for (let i = 0; i < half; i++) {
        const theta = p * Math.pow(base, (-2 * i) / D);
        const a = x[o + i];
        const b = x[o + i + half];
        out[o + i] = a * Math.cos(theta) - b * Math.sin(theta);
        out[o + i + half] = b * Math.cos(theta) + a * Math.sin(theta);
        pairNorm[o + i] = pairNorm[o + i + half] = Math.hypot(a, b);
      }
    }
  }
  return { out, pairNorm };
}

/**
 * formats §4.2 step 4 with the §4.4 cache: causal GQA attention of T queries at positions startPos .. startPos + T − 1
 * over keys/values at positions 0 .. startPos + T − 1.
 * q: [T, H · D]; k, v: [startPos + T, Hkv · D] (every position, the cached ones first).
 * For query head h, kv head g = floor(h / (H / Hkv)); z_j = (q · k_j) / sqrt(D) for j ≤ p; α = softmax(z) with an
 * explicit max subtraction; o = Σ_j α_j v_j.
 *
 * Also returns, per output element, the error scale (1 + Z) · Σ_j α_j |v_j,i| where Z = max_j Σ_d |q_d k_j,d| / sqrt(D):
 * an error δ in a score moves α_j by about α_j · δ and δ is proportional to Z (derivation in spec/tolerances.ts).
 * `lo` / `hi` are the per-element min / max of the attended values (the convex-hull law).
 */
export function naiveAttention(
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  T: number,
  startPos: number,
  H: number,
  Hkv: number,
  D: number,
): { out: Float64Array; scale: Float64Array; lo: Float64Array; hi: Float64Array } {
  const kvDim = Hkv * D;
  const group = H / Hkv;
  const out = new Float64Array(T * H * D);
  const scale = new Float64Array(T * H * D);
  const lo = new Float64Array(T * H * D);
  const hi = new Float64Array(T * H * D);
  for (let t = 0; t < T; t++) {
    const p = startPos + t;
    for (let h = 0; h < H; h++) {
      const g = Math.floor(h / group);
      const qo = (t * H + h) * D;
      const z: number[] = [];
      let zAbs = 0;
      for (let j = 0; j <= p; j++) {
        let dot = 0;
        let absDot = 0;
        for (let d = 0; d < D; d++) {
          dot += q[qo + d] * k[j * kvDim + g * D + d];
          absDot += Math.abs(q[qo + d] * k[j * kvDim + g * D + d]);
        }
        z.push(dot / Math.sqrt(D));
        zAbs = Math.max(zAbs, absDot / Math.sqrt(D));
      }
      const zMax = Math.max(...z);
      const e = z.map((zj) => Math.exp(zj - zMax));
      const sum = e.reduce((acc, ej) => acc + ej, 0);
      const alpha = e.map((ej) => ej / sum);
      for (let d = 0; d < D; d++) {
        let o = 0;
        let mag = 0;
        let min = Infinity;
        let max = -Infinity;
        for (let j = 0; j <= p; j++) {
          const vj = v[j * kvDim + g * D + d];
          o += alpha[j] * vj;
          mag += alpha[j] * Math.abs(vj);
          min = Math.min(min, vj);
          max = Math.max(max, vj);
        }
        out[qo + d] = o;
        scale[qo + d] = (1 + zAbs) * mag;
        lo[qo + d] = min;
        hi[qo + d] = max;
      }
    }
  }
  return { out, scale, lo, hi };
}

/** formats §4.2 step 8 (2B-4T): out = max(g, 0)² ⊙ up. */
export function naiveReluSqMul(gate: ArrayLike<number>, up: ArrayLike<number>): Float64Array {
  const out = new Float64Array(gate.length);
  for (let i = 0; i < gate.length; i++) {
    const r = Math.max(gate[i], 0);
    out[i] = r * r * up[i];
  }
  return out;
}

/** formats §4.2 step 8 (1bitLLM): out = g · sigmoid(g) ⊙ up, sigmoid(g) = 1 / (1 + e^−g). */
export function naiveSiluMul(gate: ArrayLike<number>, up: ArrayLike<number>): Float64Array {
  const out = new Float64Array(gate.length);
  for (let i = 0; i < gate.length; i++) {
    const sigmoid = 1 / (1 + Math.exp(-gate[i]));
    out[i] = gate[i] * sigmoid * up[i];
  }
  return out;
}

/** Residual add (formats §4.2 steps 6 and 10): out = a + b. */
export function naiveAdd(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] + b[i];
  return out;
}

/**
 * formats §4.2 head: logits[t, v] = Σ_i E[v, i] · x[t, i] for rows t ≥ fromRow, full precision.
 * x: [T, d]; table: [V, d] → [T − fromRow, V]. Also returns Σ_i |E[v, i] · x[t, i]| (the error scale).
 */
export function naiveLmHead(
  x: ArrayLike<number>,
  T: number,
  d: number,
  table: ArrayLike<number>,
  V: number,
  fromRow: number,
): { logits: Float64Array; scale: Float64Array } {
  const logits = new Float64Array((T - fromRow) * V);
  const scale = new Float64Array((T - fromRow) * V);
  for (let t = fromRow; t < T; t++) {
    for (let v = 0; v < V; v++) {
      let acc = 0;
      let mag = 0;
      for (let i = 0; i < d; i++) {
        acc += table[v * d + i] * x[t * d + i];
        mag += Math.abs(table[v * d + i] * x[t * d + i]);
      }
      logits[(t - fromRow) * V + v] = acc;
      scale[(t - fromRow) * V + v] = mag;
    }
  }
  return { logits, scale };
}

/**
 * llama.cpp's Q8_K (golden/llamacpp README §5.1), written from that description: per 256-block, in float32,
 * m = the signed element of largest |x| (first on ties); m = 0 → q = 0, d = 0; iscale = −127 / m,
 * q = min(127, round½even(iscale · x)), d = 1 / iscale. Returns q [T, K] and d [T, K / 256].
 */
export function naiveQuantizeQ8K(x: ArrayLike<number>, T: number, K: number): { q: Int8Array; d: Float64Array } {
  const f = Math.fround;
  const q = new Int8Array(T * K);
  const d = new Float64Array((T * K) / 256);
  for (let blk = 0; blk < (T * K) / 256; blk++) {
    const o = blk * 256;
    let m = 0;
    for (let j = 0; j < 256; j++) if (Math.abs(f(x[o + j])) > Math.abs(m)) m = f(x[o + j]);
    if (m === 0) continue;
    const iscale = f(-127 / m);
    for (let j = 0; j < 256; j++) q[o + j] = Math.min(127, roundHalfEven(f(iscale * f(x[o + j]))));
    d[blk] = f(1 / iscale);
  }
  return { q, d };
}

/**
 * Ternary product over Q8_K blocks in the float64 oracle's form (golden/llamacpp profile q8k): x' = float32(q · d)
 * per element, y[r, j] = β · Σ_i x'_i · t_i. Also returns the error scale β · Σ_i |x'_i · t_i|.
 */
export function naiveTernaryMatmulQ8K(q: ArrayLike<number>, d: ArrayLike<number>, T: number, K: number, t: Int8Array, N: number, beta: number): { y: Float64Array; scale: Float64Array } {
  const y = new Float64Array(T * N);
  const scale = new Float64Array(T * N);
  const blocks = K / 256;
  for (let r = 0; r < T; r++) {
    for (let j = 0; j < N; j++) {
      let acc = 0;
      let mag = 0;
      for (let i = 0; i < K; i++) {
        const term = Math.fround(q[r * K + i] * d[r * blocks + Math.floor(i / 256)]) * t[j * K + i];
        acc += term;
        mag += Math.abs(term);
      }
      y[r * N + j] = acc * beta;
      scale[r * N + j] = mag * beta;
    }
  }
  return { y, scale };
}

/** Unquantised ternary product y[r, j] = β · Σ_i x[r, i] · t[j, i], with the error scale β · Σ|x · t|. */
export function naiveTernaryMatmulFloat(x: ArrayLike<number>, T: number, K: number, t: Int8Array, N: number, beta: number): { y: Float64Array; scale: Float64Array } {
  const y = new Float64Array(T * N);
  const scale = new Float64Array(T * N);
  for (let r = 0; r < T; r++) {
    for (let j = 0; j < N; j++) {
      let acc = 0;
      let mag = 0;
      for (let i = 0; i < K; i++) {
        acc += x[r * K + i] * t[j * K + i];
        mag += Math.abs(x[r * K + i] * t[j * K + i]);
      }
      y[r * N + j] = acc * beta;
      scale[r * N + j] = mag * beta;
    }
  }
  return { y, scale };
}
