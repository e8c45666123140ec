/**
 * embed (formats §4.2): out[t, :] = E[id_t, :], a plain row gather, no quantisation.
 * Properties: matches the naive gather exactly (tolerance 0: float32 table values survive any precision);
 * each row equals a one-token embed of its id (rows are independent); ids 0 and V − 1 are reached.
 */
import { embedCase } from './arbitraries.js';
import { forEachBackend, uploadMatrix } from './backends.js';
import { expectClose } from './expect-close.js';
import { naiveEmbed } from './math.js';

forEachBackend('embed', (b) => {
  b.property('matches the naive row gather (V 1/17/33, d ragged and ×256, T 1..17, ids 0 and V−1)', embedCase, async ({ table, ids }) => {
    const backend = b.backend;
    const handle = uploadMatrix(backend, table);
    const out = backend.allocate(ids.length, table.cols);
    backend.ops.embed({ out, table: handle, tokenIds: ids });
    expectClose('embed', await backend.read(out), naiveEmbed(table.data, table.cols, ids), b.tolerance('embed'), { cols: table.cols });
  });

  b.property('each row equals a one-token embed of its id', embedCase, async ({ table, ids }) => {
    const backend = b.backend;
    const handle = uploadMatrix(backend, table);
    const all = backend.allocate(ids.length, table.cols);
    backend.ops.embed({ out: all, table: handle, tokenIds: ids });
    const whole = await backend.read(all);
    const one = backend.allocate(1, table.cols);
    for (let t = 0; t < ids.length; t++) {
      backend.ops.embed({ out: one, table: handle, tokenIds: Int32Array.of(ids[t]) });
      expectClose(`embed row ${t}`, whole.subarray(t * table.cols, (t + 1) * table.cols), await backend.read(one), b.tolerance('embed'));
    }
  }, { numRuns: 50 });
});
