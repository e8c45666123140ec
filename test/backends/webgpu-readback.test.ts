/**
 * Dawn on SwiftShader has been seen to abort the whole process ("std::system_error: Invalid argument") while
 * awaiting mapAsync after long batches of dispatches. The backend reads back only through tfjs' `data()` after at
 * most 15 dispatches per submit (tfjs' default batch); this loop runs a decode step's worth of dispatches between
 * reads 300 times, and results must stay exact, so that an unstable pattern fails here rather than somewhere
 * random in the suite. Skipped, saying why, where no WebGPU adapter exists.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebGpuBackend, webgpuBackend } from '../../src/backends/webgpu/index.js';
import { packTernaryRows } from '../../src/formats/ternary-rows.js';

const unavailable = await webgpuBackend.unavailableReason();
if (unavailable !== null) console.warn(`skipped: ${unavailable} (webgpu readback loop)`);

describe.skipIf(unavailable !== null)('webgpu readback stability', () => {
  let b: WebGpuBackend;
  beforeAll(async () => {
    b = await WebGpuBackend.create();
  });
  afterAll(() => b?.dispose());

  it('300 rounds of 90 dispatches then a read give the exact integer products every time', async () => {
    const [N, K] = [96, 80];
    const t = Int8Array.from({ length: N * K }, (_, i) => ((i * 7) % 3) - 1);
    const w = b.uploadTernary({ rows: N, cols: K, packed: packTernaryRows(t, N, K), scale: 1, storage: 'hf-packed' });
    const x = b.allocate(1, K);
    const xs = Float32Array.from({ length: K }, (_, i) => (i === 3 ? 127 : ((i * 13) % 255) - 127)); // s = 1
    b.write(x, xs);
    const want = Array.from({ length: N }, (_, j) => xs.reduce((acc, v, i) => acc + v * t[j * K + i], 0));
    const xq = b.allocateQuantized(1, K);
    const y = b.allocate(1, N);
    for (let round = 0; round < 300; round++) {
      for (let d = 0; d < 30; d++) {
        b.ops.quantizeActivations({ out: xq, x }); // two dispatches
        b.ops.ternaryMatmul({ out: y, w, x: xq }); // one
      }
      const got = Array.from(await b.read(y));
      if (got.some((v, j) => v !== want[j])) expect(got).toEqual(want);
    }
  });
});
