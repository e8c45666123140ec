/**
 * rope (formats §4.3, half-split "NeoX" form), in place: pair i with i + D/2, θ_i(p) = p · base^(−2i/D), row t at
 * position startPos + t.
 * Properties: matches the naive rotation (even head dims incl. 2, 96, 100, 128; bases 1e4, 5e5, 1e6; positions up to
 * 4112); position 0 is the identity; the norm of every rotated pair is preserved; rotating at p1 and then at p2
 * equals rotating at p1 + p2 (within three times the tolerance).
 */
import { ropeCase, ropeComposeCase, type Mat } from './arbitraries.js';
import { forEachBackend, load } from './backends.js';
import { expectClose } from './expect-close.js';
import { naiveRope } from './math.js';
import { widened } from './tolerances.js';

/** Per element, the norm of its (i, i + D/2) pair. */
function pairNorms(x: ArrayLike<number>, rows: number, H: number, D: number): Float64Array {
  return naiveRope(x, rows, H, D, 0, 10000).pairNorm; // position 0: only the norms are used
}

forEachBackend('rope', (b) => {
  b.property('matches the naive half-split rotation (T 1..17, H 1..5, D even, startPos 0..4096)', ropeCase, async ({ x, numHeads, headDim, startPos, theta }) => {
    const backend = b.backend;
    const buf = load(backend, x);
    backend.ops.rope({ x: buf, startPos, headDim, theta });
    const want = naiveRope(x.data, x.rows, numHeads, headDim, startPos, theta);
    expectClose('rope', await backend.read(buf), want.out, b.tolerance('rope'), { scale: want.pairNorm, cols: x.cols });
  });

  b.property('position 0 is the identity', ropeCase, async ({ x, headDim, theta }) => {
    const backend = b.backend;
    const first: Mat = { rows: 1, cols: x.cols, data: x.data.slice(0, x.cols), kinds: x.kinds.slice(0, 1) };
    const buf = load(backend, first);
    backend.ops.rope({ x: buf, startPos: 0, headDim, theta });
    expectClose('rope at position 0', await backend.read(buf), first.data, b.tolerance('rope'));
  });

  b.property('preserves the norm of every rotated pair', ropeCase, async ({ x, numHeads, headDim, startPos, theta }) => {
    const backend = b.backend;
    const buf = load(backend, x);
    backend.ops.rope({ x: buf, startPos, headDim, theta });
    const got = pairNorms(await backend.read(buf), x.rows, numHeads, headDim);
    expectClose('rope pair norms', got, pairNorms(x.data, x.rows, numHeads, headDim), widened(b.tolerance('rope'), 2), { cols: x.cols });
  });

  b.property('rope at p1 then at p2 equals rope at p1 + p2', ropeComposeCase, async ({ x, headDim, p1, p2, theta }) => {
    const backend = b.backend;
    const twice = load(backend, x);
    backend.ops.rope({ x: twice, startPos: p1, headDim, theta });
    backend.ops.rope({ x: twice, startPos: p2, headDim, theta });
    const once = load(backend, x);
    backend.ops.rope({ x: once, startPos: p1 + p2, headDim, theta });
    const scale = pairNorms(x.data, 1, x.cols / headDim, headDim);
    // Three rotations, each within the row's bound for its own angle; p1 + p2 ≤ maxRopePos, so the angle terms
    // sum to at most twice the row's and the three constant terms to three times: widen by 3.
    expectClose('rope(p2) ∘ rope(p1) = rope(p1 + p2)', await backend.read(twice), await backend.read(once), widened(b.tolerance('rope'), 3), { scale });
  });
});
