/**
 * lmHead (formats §4.2 head): logits[t − fromRow, v] = Σ_i E[v, i] · x[t, i] for t ≥ fromRow, full precision.
 * Properties: matches the naive product (V 1/17/33, d ragged and ×256, T 1..17, fromRow 0 … T − 1), with the error
 * scaled by Σ|terms| since logits cancel; the rows from fromRow equal the same rows of the fromRow = 0 result
 * (the model asks for the last row only when decoding); tied lm_head: with the embedding table as lm_head,
 * logits of an embedded token t are E · E[id_t].
 */
import fc from 'fast-check';
import { lmHeadCase, embedCase } from './arbitraries.js';
import { forEachBackend, load, uploadMatrix } from './backends.js';
import { expectClose } from './expect-close.js';
import { naiveEmbed, naiveLmHead } from './math.js';
import { widened } from './tolerances.js';

forEachBackend('lmHead', (b) => {
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
