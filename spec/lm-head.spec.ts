/**
 * lmHead (formats §4.2 head): logits[t − fromRow, v] = Σ_i E[v, i] · x[t, i] for t ≥ fromRow, full precision.
 * Properties: matches the naive product (V 1/17/33, d ragged and ×256, T 1..17, fromRow 0 … T − 1), with the error
 * scaled by Σ|terms| since logits cancel; the rows from fromRow equal the same rows of the fromRow = 0 result
 * (the model asks for the last row only when decoding); tied lm_head: with the embedding table as lm_head,
 * logits of an embedded token t are E · E[id_t]; a float16 or bfloat16 table gives the product of the values its
 * bits widen to.
 */
import fc from 'fast-check';
import { bf16ToNumber, f16ToNumber, numberToF16 } from '../src/formats/float16.js';
import { fromArray } from '../src/tensor.js';
import { lmHeadCase, embedCase, type Mat } from './arbitraries.js';
import { forEachBackend, load, uploadMatrix } from './backends.js';
import { expectClose } from './expect-close.js';
import { naiveEmbed, naiveLmHead } from './math.js';
import { widened } from './tolerances.js';

/**
 * A table stored in 16 bits as checkpoints ship it (float16: GGUF; bfloat16: HF): the bits, and the exact values they
 * widen to. Values beyond float16's range are clamped first (65504 is its largest); tiny ones become subnormal or 0.
 */
function sixteenBit(m: Mat, dtype: 'f16' | 'bf16'): { bits: Uint16Array; values: Float64Array } {
  const bits = Uint16Array.from(m.data, (x) => {
    if (dtype === 'f16') return numberToF16(Math.max(-65504, Math.min(65504, x)));
    return new Uint32Array(Float32Array.of(x).buffer)[0] >>> 16; // every 16-bit pattern is a bfloat16
  });
  return { bits, values: Float64Array.from(bits, (h) => (dtype === 'f16' ? f16ToNumber(h) : bf16ToNumber(h))) };
}

forEachBackend('lmHead', (b) => {
  b.property('16-bit tables (float16, bfloat16) give the product of the values they widen to', fc.tuple(lmHeadCase, fc.constantFrom('f16' as const, 'bf16' as const)), async ([{ x, table, fromRow }, dtype]) => {
    const backend = b.backend;
    const { bits, values } = sixteenBit(table, dtype);
    const out = backend.allocate(x.rows - fromRow, table.rows);
    backend.ops.lmHead({ out, x: load(backend, x), table: backend.uploadMatrix(fromArray(dtype, [table.rows, table.cols], bits)), fromRow });
    const want = naiveLmHead(x.data, x.rows, x.cols, values, table.rows, fromRow);
    expectClose(`lmHead (${dtype} table)`, await backend.read(out), want.logits, b.tolerance('lmHead'), { scale: want.scale, cols: table.rows });
  });

  b.property('matches the naive E · x for rows ≥ fromRow', lmHeadCase, async ({ x, table, fromRow }) => {
    const backend = b.backend;
    const out = backend.allocate(x.rows - fromRow, table.rows);
    backend.ops.lmHead({ out, x: load(backend, x), table: uploadMatrix(backend, table), fromRow });
    const want = naiveLmHead(x.data, x.rows, x.cols, table.data, table.rows, fromRow);
    expectClose('lmHead', await backend.read(out), want.logits, b.tolerance('lmHead'), { scale: want.scale, cols: table.rows });
  });

  b.property('fromRow selects the same rows as the full product', lmHeadCase, async ({ x, table, fromRow }) => {
    const backend = b.backend;
    const [xb, tb] = [load(backend, x), uploadMatrix(backend, table)];
    const all = backend.allocate(x.rows, table.rows);
    backend.ops.lmHead({ out: all, x: xb, table: tb, fromRow: 0 });
    const tail = backend.allocate(x.rows - fromRow, table.rows);
    backend.ops.lmHead({ out: tail, x: xb, table: tb, fromRow });
    const { scale } = naiveLmHead(x.data, x.rows, x.cols, table.data, table.rows, fromRow);
    const full = await backend.read(all);
    expectClose('lmHead fromRow', await backend.read(tail), full.subarray(fromRow * table.rows), widened(b.tolerance('lmHead'), 2), { scale, cols: table.rows });
  });

  b.property('tied lm_head: embed then lmHead on the same handle gives E · E[id]', fc.tuple(embedCase, fc.nat()), async ([{ table, ids }, r]) => {
    const backend = b.backend;
    const handle = uploadMatrix(backend, table);
    const h = backend.allocate(ids.length, table.cols);
    backend.ops.embed({ out: h, table: handle, tokenIds: ids });
    const fromRow = r % ids.length;
    const out = backend.allocate(ids.length - fromRow, table.rows);
    backend.ops.lmHead({ out, x: h, table: handle, fromRow });
    const want = naiveLmHead(naiveEmbed(table.data, table.cols, ids), ids.length, table.cols, table.data, table.rows, fromRow);
    expectClose('lmHead (tied)', await backend.read(out), want.logits, b.tolerance('lmHead'), { scale: want.scale, cols: table.rows });
  });
});
