/**
 * ternaryMatmul (formats §3.1 BitLinear): y[t, j] = (Σ_i q[t, i] · w[j, i]) · β / s[t], the integer sum exact.
 * Properties: with s = 1 and β = 1 the output is the exact integer dot product (tolerance 0 for every backend),
 * including the extreme sums ±127 · K; for any x and β it equals the naive dot × β / s computed from the backend's
 * own q and s; negating the weights negates the output exactly, and one quantised input serves several
 * matrices unchanged (q, k and v share it). K is ragged (partial last packed byte) and a multiple of 256;
 * output rows N and tokens T include 1 and 17.
 */
import { integerTernaryCase, q8kTernaryCase, ternaryCase, type Ternary } from './arbitraries.js';
import { forEachBackend, load, uploadTernary } from './backends.js';
import { expectClose, expectExact } from './expect-close.js';
import { naiveTernaryMatmul, naiveTernaryMatmulQ8K } from './math.js';

forEachBackend('ternaryMatmul', (b) => {
  b.property('s = 1, β = 1: equals the exact integer dot product (K ragged and ×256, N and T 1..17)', integerTernaryCase, async ({ x, w }) => {
    const backend = b.backend;
    const xq = backend.allocateQuantized(x.rows, x.cols);
    backend.ops.quantizeActivations({ out: xq, x: load(backend, x) });
    // Precondition: integer rows with max|x| = 127 quantise to q = x, s = 1 in any precision.
    const { q, scale } = await backend.readQuantized(xq);
    expectExact('quantizeActivations q (precondition: q = x)', q, x.data, x.cols);
    expectExact('quantizeActivations s (precondition: s = 1)', scale, new Float64Array(x.rows).fill(1));
    const out = backend.allocate(x.rows, w.rows);
    backend.ops.ternaryMatmul({ out, w: uploadTernary(backend, w, 1), x: xq });
    const { dots } = naiveTernaryMatmul(q, scale, x.rows, x.cols, w.t, w.rows, 1);
    expectClose('ternaryMatmul integer part', await backend.read(out), dots, b.tolerance('ternaryMatmul.integer'), { cols: w.rows });
  });

  b.property('equals the naive (Σ q · t) · β / s from the backend’s own q and s (every row kind, β ∈ [2^-10, 4])', ternaryCase, async ({ x, w, beta }) => {
    const backend = b.backend;
    const xq = backend.allocateQuantized(x.rows, x.cols);
    backend.ops.quantizeActivations({ out: xq, x: load(backend, x) });
    const out = backend.allocate(x.rows, w.rows);
    backend.ops.ternaryMatmul({ out, w: uploadTernary(backend, w, beta), x: xq });
    const { q, scale } = await backend.readQuantized(xq);
    const { y } = naiveTernaryMatmul(q, scale, x.rows, x.cols, w.t, w.rows, beta);
    expectClose('ternaryMatmul', await backend.read(out), y, b.tolerance('ternaryMatmul'), { cols: w.rows });
  });

  b.property('negated weights give exactly the negated output, and the quantised input is reusable', ternaryCase, async ({ x, w, beta }) => {
    const backend = b.backend;
    const xq = backend.allocateQuantized(x.rows, x.cols);
    backend.ops.quantizeActivations({ out: xq, x: load(backend, x) });
    const negated: Ternary = { ...w, t: w.t.map((v) => -v) };
    const [hw, hn] = [uploadTernary(backend, w, beta), uploadTernary(backend, negated, beta)];
    const first = backend.allocate(x.rows, w.rows);
    const neg = backend.allocate(x.rows, w.rows);
    const again = backend.allocate(x.rows, w.rows);
    backend.ops.ternaryMatmul({ out: first, w: hw, x: xq });
    backend.ops.ternaryMatmul({ out: neg, w: hn, x: xq });
    backend.ops.ternaryMatmul({ out: again, w: hw, x: xq });
    const y = await backend.read(first);
    expectExact('ternaryMatmul(−W) = −ternaryMatmul(W)', await backend.read(neg), y.map((v) => -v), w.rows);
    expectExact('ternaryMatmul repeated on the same input', await backend.read(again), y, w.rows);
  });

  b.property('q8k: equals β · Σ_b d_b · (Σ_b q · t) from the backend’s own Q8_K q and d', q8kTernaryCase, async ({ x, w, beta }) => {
    const backend = b.backend;
    const xq = backend.allocateQuantized(x.rows, x.cols, 'q8k');
    backend.ops.quantizeActivations({ out: xq, x: load(backend, x) });
    const out = backend.allocate(x.rows, w.rows);
    backend.ops.ternaryMatmul({ out, w: uploadTernary(backend, w, beta), x: xq });
    const { q, scale: d } = await backend.readQuantized(xq);
    const { y, scale } = naiveTernaryMatmulQ8K(q, d, x.rows, x.cols, w.t, w.rows, beta);
    expectClose('ternaryMatmul q8k', await backend.read(out), y, b.tolerance('ternaryMatmul.q8k'), { cols: w.rows, scale });
  });
});
