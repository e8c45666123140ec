/**
 * quantizeActivations (formats §3.1): per token a = max(max|x|, 1e-5), s = 127 / a, q = clamp(round½even(x · s)).
 * Properties: q equals the naive quantisation exactly (tolerance 0 for every backend) and s within one rounding;
 * |q| ≤ 127 and q / s lies within ½ / s of x; every max-|x| element maps to ±127 with x's sign (rows with a ≥ 1e-5)
 * while rows below the clamp use s = 127 / 1e-5; an all-zero row gives q = 0; exact .5 ties round to the even
 * neighbour.
 */
import fc from 'fast-check';
import { activationCase, q8kActivationCase, tieCase, type Mat } from './arbitraries.js';
import { forEachBackend, load } from './backends.js';
import { expectClose, expectExact } from './expect-close.js';
import { naiveQuantize, naiveQuantizeQ8K, QUANT_EPS, QUANT_MAX } from './math.js';

forEachBackend('quantizeActivations', (b) => {
  const quantize = async (x: Mat) => {
    const backend = b.backend;
    const out = backend.allocateQuantized(x.rows, x.cols);
    backend.ops.quantizeActivations({ out, x: load(backend, x) });
    return backend.readQuantized(out);
  };

  b.property('q equals the naive quantisation exactly, s within one rounding (T 1..17, K ragged and ×256, every row kind)', activationCase, async (x) => {
    const got = await quantize(x);
    const want = naiveQuantize(x.data, x.rows, x.cols);
    expectClose('quantizeActivations q', got.q, want.q, b.tolerance('quantizeActivations'), { cols: x.cols });
    expectClose('quantizeActivations s', got.scale, want.s, b.tolerance('quantizeActivations.scale'));
  });

  b.property('|q| ≤ 127 and |q − x · s| ≤ ½ (q / s within ½ / s of x)', activationCase, async (x) => {
    const { q, scale } = await quantize(x);
    const bound = b.tolerance('quantizeActivations.residual').abs;
    for (let t = 0; t < x.rows; t++) {
      for (let i = 0; i < x.cols; i++) {
        const j = t * x.cols + i;
        if (Math.abs(q[j]) > QUANT_MAX) throw new Error(`q[${t}, ${i}] = ${q[j]} is outside [−127, 127]`);
        const residual = Math.abs(q[j] - x.data[j] * scale[t]);
        if (!(residual <= bound)) throw new Error(`|q − x·s| at [${t}, ${i}] = ${residual} > ${bound} (q ${q[j]}, x ${x.data[j]}, s ${scale[t]})`);
      }
    }
  });

  b.property('max-|x| elements map to ±127 with x’s sign; rows below the 1e-5 clamp get s = 127 / 1e-5', activationCase, async (x) => {
    const { q, scale } = await quantize(x);
    const sTol = b.tolerance('quantizeActivations.scale');
    for (let t = 0; t < x.rows; t++) {
      let a = 0;
      for (let i = 0; i < x.cols; i++) a = Math.max(a, Math.abs(x.data[t * x.cols + i]));
      if (a >= QUANT_EPS) {
        for (let i = 0; i < x.cols; i++) {
          const v = x.data[t * x.cols + i];
          if (Math.abs(v) === a && q[t * x.cols + i] !== Math.sign(v) * QUANT_MAX) {
            throw new Error(`row ${t}: max-|x| element ${i} (x ${v}) quantised to ${q[t * x.cols + i]}, want ${Math.sign(v) * QUANT_MAX}`);
          }
        }
      } else {
        expectClose(`quantizeActivations clamped s, row ${t}`, [scale[t]], [QUANT_MAX / QUANT_EPS], sTol);
        for (let i = 0; i < x.cols; i++) {
          if (Math.abs(q[t * x.cols + i]) >= QUANT_MAX) throw new Error(`row ${t} is below the clamp but q[${i}] = ${q[t * x.cols + i]}`);
        }
      }
    }
  });

  const withZeroRow = fc.tuple(activationCase, fc.nat()).map(([x, r]) => {
    const row = r % x.rows;
    const data = x.data.slice();
    data.fill(0, row * x.cols, (row + 1) * x.cols);
    const kinds = x.kinds.map((k, i) => (i === row ? 'zero' : k));
    return Object.assign({ x: { ...x, data, kinds }, row }, { [fc.toStringMethod]: () => `${fc.stringify(x)} with row ${row} zeroed` });
  });

  b.property('an all-zero row gives q = 0 and s = 127 / 1e-5 (the clamp)', withZeroRow, async ({ x, row }) => {
    const { q, scale } = await quantize(x);
    expectExact(`quantizeActivations zero row ${row}`, q.subarray(row * x.cols, (row + 1) * x.cols), new Int8Array(x.cols));
    expectClose(`quantizeActivations zero row ${row} s`, [scale[row]], [QUANT_MAX / QUANT_EPS], b.tolerance('quantizeActivations.scale'));
  });

  b.property('exact .5 ties after scaling round half to even', tieCase, async ({ x, exponents }) => {
    const { q, scale } = await quantize(x);
    expectClose('quantizeActivations s on ties', scale, Array.from(exponents, (e) => 2 ** -e), b.tolerance('quantizeActivations.scale'));
    let ties = 0;
    for (let t = 0; t < x.rows; t++) {
      for (let i = 0; i < x.cols; i++) {
        const scaled = x.data[t * x.cols + i] * 2 ** -exponents[t]; // exact: a power of two
        if (Math.abs(scaled % 1) !== 0.5) continue;
        ties++;
        const got = q[t * x.cols + i];
        if (Math.abs(got - scaled) !== 0.5 || got % 2 !== 0) throw new Error(`tie x·s = ${scaled} at [${t}, ${i}] quantised to ${got}, want the even neighbour`);
      }
    }
    expectClose('quantizeActivations q on ties', q, naiveQuantize(x.data, x.rows, x.cols).q, b.tolerance('quantizeActivations'), { cols: x.cols });
    // K = 1 rows are all anchor; every longer row holds at least one tie (tieCase puts one after the anchor).
    if (x.cols >= 2 && ties < x.rows) throw new Error(`tie case generated ${ties} ties over ${x.rows} rows (arbitrary broken)`);
  });

  // llama.cpp's Q8_K scheme (the 'llamacpp' numerics profile for TQ1_0/TQ2_0 weights). It is defined in float32,
  // so every backend must reproduce it exactly: q and d both with tolerance 0.
  const quantizeQ8K = async (x: Mat) => {
    const backend = b.backend;
    const out = backend.allocateQuantized(x.rows, x.cols, 'q8k');
    backend.ops.quantizeActivations({ out, x: load(backend, x) });
    return backend.readQuantized(out);
  };

  b.property('q8k: q and d equal llama.cpp’s Q8_K exactly (blocks of 256, every row kind)', q8kActivationCase, async (x) => {
    const got = await quantizeQ8K(x);
    const want = naiveQuantizeQ8K(x.data, x.rows, x.cols);
    expectExact('Q8_K q', got.q, want.q, x.cols);
    expectExact('Q8_K d', got.scale, want.d, x.cols / 256);
  });

  b.property('q8k: the signed max of each block maps to −127, and |q| ≤ 127', q8kActivationCase, async (x) => {
    const { q } = await quantizeQ8K(x);
    for (let blk = 0; blk < (x.rows * x.cols) / 256; blk++) {
      let at = -1;
      for (let j = 0; j < 256; j++) {
        const v = Math.fround(x.data[blk * 256 + j]);
        if (at < 0 ? v !== 0 : Math.abs(v) > Math.abs(Math.fround(x.data[blk * 256 + at]))) at = j;
      }
      for (let j = 0; j < 256; j++) if (Math.abs(q[blk * 256 + j]) > QUANT_MAX) throw new Error(`Q8_K q out of range in block ${blk}`);
      if (at >= 0 && q[blk * 256 + at] !== -QUANT_MAX) throw new Error(`block ${blk}: its max element quantised to ${q[blk * 256 + at]}, want −127`);
    }
  });
});
