/**
 * siluMul (formats §4.2 step 8, 1bitLLM models): out = gate · sigmoid(gate) ⊙ up, sigmoid(g) = 1 / (1 + e^−g).
 * Properties: matches the naive formula (T 1..17, F ragged and ×256, gates up to ±2^16, where e^−g overflows);
 * out aliasing gate (how the model calls it) gives the same; gate = 0 gives exactly 0, and silu(g) has g's sign,
 * so out · g · up ≥ 0.
 */
import { gatedCase } from './arbitraries.js';
import { forEachBackend, load } from './backends.js';
import { expectClose } from './expect-close.js';
import { naiveSiluMul } from './math.js';

forEachBackend('siluMul', (b) => {
  b.property('matches the naive g · sigmoid(g) · up', gatedCase, async ({ gate, up }) => {
    const backend = b.backend;
    const out = backend.allocate(gate.rows, gate.cols);
    backend.ops.siluMul({ out, gate: load(backend, gate), up: load(backend, up) });
    expectClose('siluMul', await backend.read(out), naiveSiluMul(gate.data, up.data), b.tolerance('siluMul'), { cols: gate.cols });
  });

  b.property('in place (out aliasing gate) matches the naive formula', gatedCase, async ({ gate, up }) => {
    const backend = b.backend;
    const g = load(backend, gate);
    backend.ops.siluMul({ out: g, gate: g, up: load(backend, up) });
    expectClose('siluMul (out = gate)', await backend.read(g), naiveSiluMul(gate.data, up.data), b.tolerance('siluMul'), { cols: gate.cols });
  });

  b.property('gate = 0 gives exactly 0; otherwise out · gate · up ≥ 0', gatedCase, async ({ gate, up }) => {
    const backend = b.backend;
    const out = backend.allocate(gate.rows, gate.cols);
    backend.ops.siluMul({ out, gate: load(backend, gate), up: load(backend, up) });
    const got = await backend.read(out);
    for (let i = 0; i < got.length; i++) {
      const ok = gate.data[i] === 0 ? got[i] === 0 : got[i] * gate.data[i] * up.data[i] >= 0;
      if (!ok) throw new Error(`siluMul at index ${i}: gate ${gate.data[i]}, up ${up.data[i]} gave ${got[i]}`);
    }
  });
});
