/**
 * ternaryMatmulFloat (llama.cpp's F16/F32 BitNet path, the 'llamacpp' numerics profile): y[t, j] = β · Σ_i x[t, i] · t_ji
 * with unquantised activations. Properties: matches the naive sum (error scaled by β · Σ|x · t|); integer
 * activations with β = 1 give the exact integer dot product; negated weights negate the output exactly.
 */
import { integerTernaryCase, ternaryCase, type Ternary } from './arbitraries.js';
import { forEachBackend, load, uploadTernary } from './backends.js';
import { expectClose, expectExact } from './expect-close.js';
import { naiveTernaryDot, naiveTernaryMatmulFloat } from './math.js';

forEachBackend('ternaryMatmulFloat', (b) => {
  b.property('equals the naive β · Σ x · t (every row kind, K ragged and ×256)', ternaryCase, async ({ x, w, beta }) => {
    const backend = b.backend;
    const out = backend.allocate(x.rows, w.rows);
    backend.ops.ternaryMatmulFloat({ out, w: uploadTernary(backend, w, beta), x: load(backend, x) });
    const { y, scale } = naiveTernaryMatmulFloat(x.data, x.rows, x.cols, w.t, w.rows, beta);
    expectClose('ternaryMatmulFloat', await backend.read(out), y, b.tolerance('ternaryMatmulFloat'), { cols: w.rows, scale });
  });

  b.property('integer activations, β = 1: the exact integer dot product', integerTernaryCase, async ({ x, w }) => {
    const backend = b.backend;
    const out = backend.allocate(x.rows, w.rows);
    backend.ops.ternaryMatmulFloat({ out, w: uploadTernary(backend, w, 1), x: load(backend, x) });
    const want = new Float64Array(x.rows * w.rows);
    for (let r = 0; r < x.rows; r++) for (let j = 0; j < w.rows; j++) want[r * w.rows + j] = naiveTernaryDot(x.data, r * x.cols, w.t, j * x.cols, x.cols);
    expectExact('ternaryMatmulFloat integer', await backend.read(out), want, w.rows);
  });

  b.property('negated weights give exactly the negated output', ternaryCase, async ({ x, w, beta }) => {
    const backend = b.backend;
    const negated: Ternary = { ...w, t: w.t.map((v) => -v) };
    const xb = load(backend, x);
    const [a, n] = [backend.allocate(x.rows, w.rows), backend.allocate(x.rows, w.rows)];
    backend.ops.ternaryMatmulFloat({ out: a, w: uploadTernary(backend, w, beta), x: xb });
    backend.ops.ternaryMatmulFloat({ out: n, w: uploadTernary(backend, negated, beta), x: xb });
    expectExact('ternaryMatmulFloat(−W)', await backend.read(n), (await backend.read(a)).map((v) => -v), w.rows);
  });
});
