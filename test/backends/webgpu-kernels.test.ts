/**
 * The webgpu backend's device-dependent kernel variants, each run here whatever the adapter: the single-token
 * products split over K (chosen on GPUs) and one thread per row (chosen on CPU-emulated adapters) give the reference
 * backend's exact integer sums and the same lm_head within float32 rounding; and a device error (here an invalid
 * pipeline) makes the next read throw DeviceError instead of returning garbage. Skipped, saying why, without an adapter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebGpuBackend, webgpuBackend } from '../../src/backends/webgpu/index.js';
import { ReferenceBackend } from '../../src/backends/reference/index.js';
import { DeviceError } from '../../src/errors.js';
import { packTernaryRows } from '../../src/formats/ternary-rows.js';
import { fromArray } from '../../src/tensor.js';

const unavailable = await webgpuBackend.unavailableReason();
if (unavailable !== null) console.warn(`skipped: ${unavailable} (webgpu kernel variants)`);

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

describe.skipIf(unavailable !== null)('webgpu kernel variants', () => {
  const backends: Record<string, WebGpuBackend> = {};
  let ref: ReferenceBackend;
  beforeAll(async () => {
    backends.split = await WebGpuBackend.create({}, { splitDecode: true });
    backends.rows = await WebGpuBackend.create({}, { splitDecode: false });
    backends.bytes = await WebGpuBackend.create({}, { nativeDot4: false });
    ref = new ReferenceBackend();
  });
  afterAll(() => {
    Object.values(backends).forEach((b) => b.dispose());
    ref?.dispose();
  });

  it('reports its variant', () => {
    expect(backends.split.info().features).toContain('split-decode');
    expect(backends.rows.info().features).toContain('row-decode');
    expect(backends.bytes.info().features).toContain('dot4-emulated');
  });

  for (const variant of ['split', 'rows', 'bytes']) {
    it(`${variant}: one-token ternary product and lm_head equal the reference (ragged N, K, d)`, async () => {
      const r = rng(17);
      const [N, K, V, d] = [333, 1000, 517, 75];
      const t = Int8Array.from({ length: N * K }, () => Math.floor(r() * 3) - 1);
      const x = Float32Array.from({ length: K }, (_, i) => (i === 9 ? 127 : Math.round(r() * 254) - 127)); // s = 1
      const table = Uint16Array.from({ length: V * d }, () => 0x3c00 + Math.floor(r() * 0x0800) - 0x0400); // halves near 1
      const h = Float32Array.from({ length: d }, () => r() - 0.5);
      const out: Float64Array[] = [];
      for (const b of [backends[variant], ref]) {
        const w = b.uploadTernary({ rows: N, cols: K, packed: packTernaryRows(t, N, K), scale: 1, storage: 'hf-packed' });
        const xb = b.allocate(1, K);
        b.write(xb, x);
        const xq = b.allocateQuantized(1, K);
        b.ops.quantizeActivations({ out: xq, x: xb });
        const y = b.allocate(1, N);
        b.ops.ternaryMatmul({ out: y, w, x: xq });
        const e = b.uploadMatrix(fromArray('f16', [V, d], table));
        const hb = b.allocate(1, d);
        b.write(hb, h);
        const logits = b.allocate(1, V);
        b.ops.lmHead({ out: logits, x: hb, table: e, fromRow: 0 });
        out.push(Float64Array.from([...(await b.read(y)), ...(await b.read(logits))]));
      }
      expect(Array.from(out[0].subarray(0, N))).toEqual(Array.from(out[1].subarray(0, N))); // integers, exact
      for (let v = 0; v < V; v++) expect(Math.abs(out[0][N + v] - out[1][N + v])).toBeLessThanOrEqual(1e-5 * d);
    });
  }

  it('a device error makes the next read throw DeviceError', async () => {
    // Last in this file: the error stays with the device for the rest of the process, as it should.
    const b = backends.rows;
    const device = (b as unknown as { gpu: { backend: { device: GPUDevice } } }).gpu.backend.device;
    device.createBuffer({ size: 4, usage: 0 }); // usage 0 is invalid: an uncaptured validation error
    const y = b.allocate(1, 4);
    await expect(b.read(y)).rejects.toBeInstanceOf(DeviceError);
  });
});
