/**
 * add (formats §4.2 steps 6 and 10, the residual): out = a + b; out may alias a or b.
 * Properties: matches the naive sum; out aliasing a (the model's `h = h + proj`) and aliasing b give the same
 * result; a + b = b + a exactly; adding zeros is the identity, exactly.
 */
import { addCase } from './arbitraries.js';
import { forEachBackend, load } from './backends.js';
import { expectClose, expectExact } from './expect-close.js';
import { naiveAdd } from './math.js';

forEachBackend('add', (b) => {
  b.property('matches the naive a + b (T 1..17, d ragged and ×256, large magnitudes)', addCase, async ({ a, b: y }) => {
    const backend = b.backend;
    const out = backend.allocate(a.rows, a.cols);
    backend.ops.add({ out, a: load(backend, a), b: load(backend, y) });
    expectClose('add', await backend.read(out), naiveAdd(a.data, y.data), b.tolerance('add'), { cols: a.cols });
  });

  b.property('out aliasing a, and out aliasing b, give the naive a + b', addCase, async ({ a, b: y }) => {
    const backend = b.backend;
    const want = naiveAdd(a.data, y.data);
    const inA = load(backend, a);
    backend.ops.add({ out: inA, a: inA, b: load(backend, y) });
    expectClose('add (out = a)', await backend.read(inA), want, b.tolerance('add'), { cols: a.cols });
    const inB = load(backend, y);
    backend.ops.add({ out: inB, a: load(backend, a), b: inB });
    expectClose('add (out = b)', await backend.read(inB), want, b.tolerance('add'), { cols: a.cols });
  });

  b.property('is commutative and has zero as identity, exactly', addCase, async ({ a, b: y }) => {
    const backend = b.backend;
    const [bufA, bufB] = [load(backend, a), load(backend, y)];
    const ab = backend.allocate(a.rows, a.cols);
    const ba = backend.allocate(a.rows, a.cols);
    backend.ops.add({ out: ab, a: bufA, b: bufB });
    backend.ops.add({ out: ba, a: bufB, b: bufA });
    expectExact('add commutes', await backend.read(ab), await backend.read(ba), a.cols);
    const zero = backend.allocate(a.rows, a.cols);
    backend.write(zero, new Float64Array(a.rows * a.cols));
    const plusZero = backend.allocate(a.rows, a.cols);
    backend.ops.add({ out: plusZero, a: bufA, b: zero });
    expectExact('a + 0 = a', await backend.read(plusZero), a.data, a.cols);
  });
});
