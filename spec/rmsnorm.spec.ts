/**
 * rmsnorm (formats §4.2): out = w ⊙ x / sqrt(mean(x²) + eps), per row; out may alias x.
 * Properties: matches the naive formula (eps 1e-6 … 10, weights with zeros and negatives, all-zero rows → exactly 0,
 * rows below the activation clamp, large magnitudes); in place (out = x, as the sub-norms run) gives the same;
 * with eps = 0 and w = 1 every row has mean(out²) = 1 (formats §7's sanity check) and is invariant under
 * scaling x by a power of two.
 */
import fc from 'fast-check';
import { nonZeroRows, rmsnormCase, type Mat } from './arbitraries.js';
import { forEachBackend, load, uploadVector } from './backends.js';
import { expectClose } from './expect-close.js';
import { naiveRmsnorm } from './math.js';
import { widened } from './tolerances.js';

forEachBackend('rmsnorm', (b) => {
  b.property('matches the naive w ⊙ x / sqrt(mean(x²) + eps) (T 1..17, K ragged and ×256, zero and tiny rows)', rmsnormCase, async ({ x, weight, eps }) => {
    const backend = b.backend;
    const out = backend.allocate(x.rows, x.cols);
    backend.ops.rmsnorm({ out, x: load(backend, x), weight: uploadVector(backend, weight), eps });
    expectClose('rmsnorm', await backend.read(out), naiveRmsnorm(x.data, x.rows, x.cols, weight, eps), b.tolerance('rmsnorm'), { cols: x.cols });
  });

  b.property('in place (out aliasing x) matches the naive formula', rmsnormCase, async ({ x, weight, eps }) => {
    const backend = b.backend;
    const buf = load(backend, x);
    backend.ops.rmsnorm({ out: buf, x: buf, weight: uploadVector(backend, weight), eps });
    expectClose('rmsnorm (out = x)', await backend.read(buf), naiveRmsnorm(x.data, x.rows, x.cols, weight, eps), b.tolerance('rmsnorm'), { cols: x.cols });
  });

  b.property('eps = 0, w = 1: mean(out²) = 1 per row, and scaling x by 2^±4 changes nothing', fc.tuple(nonZeroRows, fc.constantFrom(1 / 16, 16)), async ([x, c]) => {
    const backend = b.backend;
    const ones = uploadVector(backend, new Float64Array(x.cols).fill(1));
    const tol = b.tolerance('rmsnorm');
    const out = backend.allocate(x.rows, x.cols);
    backend.ops.rmsnorm({ out, x: load(backend, x), weight: ones, eps: 0 });
    const got = await backend.read(out);
    const meanSquares = new Float64Array(x.rows);
    for (let t = 0; t < x.rows; t++) {
      let sum = 0;
      for (let i = 0; i < x.cols; i++) sum += got[t * x.cols + i] ** 2;
      meanSquares[t] = sum / x.cols;
    }
    // Each element is within tol.rel of exact, so its square within 2 · tol.rel (+ the sum here, far smaller).
    expectClose('rmsnorm mean(out²)', meanSquares, new Float64Array(x.rows).fill(1), widened(tol, 3));
    const scaled: Mat = { ...x, data: x.data.map((v) => v * c) }; // a power of two: exact, still float32
    const outScaled = backend.allocate(x.rows, x.cols);
    backend.ops.rmsnorm({ out: outScaled, x: load(backend, scaled), weight: ones, eps: 0 });
    expectClose('rmsnorm(c · x) = rmsnorm(x)', await backend.read(outScaled), got, widened(tol, 2), { cols: x.cols });
  });
});
