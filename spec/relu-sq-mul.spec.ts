/**
 * reluSqMul (formats §4.2 step 8, 2B-4T): out = max(gate, 0)² ⊙ up.
 * Properties: matches the naive formula (T 1..17, F ragged and ×256, large magnitudes); out aliasing gate (how the
 * model calls it, `{ out: gate, gate, up }`) gives the same; a non-positive gate gives exactly 0 and a positive
 * one an output with the sign of up.
 */
import { gatedCase } from './arbitraries.js';
import { forEachBackend, load } from './backends.js';
import { expectClose } from './expect-close.js';
import { naiveReluSqMul } from './math.js';

forEachBackend('reluSqMul', (b) => {
  b.property('matches the naive max(g, 0)² · up', gatedCase, async ({ gate, up }) => {
    const backend = b.backend;
    const out = backend.allocate(gate.rows, gate.cols);
    backend.ops.reluSqMul({ out, gate: load(backend, gate), up: load(backend, up) });
    expectClose('reluSqMul', await backend.read(out), naiveReluSqMul(gate.data, up.data), b.tolerance('reluSqMul'), { cols: gate.cols });
  });

  b.property('in place (out aliasing gate) matches the naive formula', gatedCase, async ({ gate, up }) => {
    const backend = b.backend;
    const g = load(backend, gate);
    backend.ops.reluSqMul({ out: g, gate: g, up: load(backend, up) });
    expectClose('reluSqMul (out = gate)', await backend.read(g), naiveReluSqMul(gate.data, up.data), b.tolerance('reluSqMul'), { cols: gate.cols });
  });

  b.property('gate ≤ 0 gives exactly 0; gate > 0 gives the sign of up', gatedCase, async ({ gate, up }) => {
    const backend = b.backend;
    const out = backend.allocate(gate.rows, gate.cols);
    backend.ops.reluSqMul({ out, gate: load(backend, gate), up: load(backend, up) });
    const got = await backend.read(out);
    for (let i = 0; i < got.length; i++) {
      const ok = gate.data[i] <= 0 ? got[i] === 0 : Math.sign(got[i]) === Math.sign(up.data[i]);
      if (!ok) throw new Error(`reluSqMul at index ${i}: gate ${gate.data[i]}, up ${up.data[i]} gave ${got[i]}`);
    }
  });
});
