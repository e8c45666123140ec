/**
 * The cuda kernels whose fast path stops at a row width, on both sides of it, run by the CPU emulator (every model
 * shipped or benchmarked here fits the fast paths; wider FFNs than 2B-4T's 6,912 do not):
 * - row_fused holds rows of up to 8,192 elements in registers and takes wider ones through memory. One fused launch
 *   computes x = a + b, its RMSNorm and the per-token int8 quantisation of that; each output is checked against
 *   independent arithmetic: the sum bit for bit (float32), the norm against float64 within float32 error, and q and
 *   s exactly against the quantisation of the norm's own output (s = 127 / max|xn| and q = roundHalfEven(xn · s),
 *   both in float64, as the reference defines them).
 * - a decode step's product takes ternary_row_int8 for rows of up to 8,192 codes and ternary_int8 beyond: both
 *   against the exact integer product.
 */
import { describe, expect, it } from 'vitest';
import { prng } from '../../spec/arbitraries.js';
import { roundHalfEven } from '../../spec/math.js';
import { packTernaryRows } from '../../src/formats/ternary-rows.js';
import { fromArray } from '../../src/tensor.js';
import { createEmulatedCudaBackend, emulatedCudaUnavailable } from '../helpers/cuda-emulator/backend.js';

const unavailable = emulatedCudaUnavailable();

describe.skipIf(unavailable !== null)(`cuda row_fused [emulated]${unavailable === null ? '' : ` skipped: ${unavailable}`}`, () => {
  // 8,192: the widest row held in registers (512 threads × 16); 8,200 and 9,000: through memory.
  it.each([2560, 8192, 8200, 9000])('K = %i: sum, RMSNorm and int8 quantisation in one launch match independent arithmetic', async (K) => {
    const { backend: b, driver } = createEmulatedCudaBackend();
    const rows = 2;
    const r = prng(K);
    const a = Float32Array.from({ length: rows * K }, () => (r() - 0.5) * 4);
    const c = Float32Array.from({ length: rows * K }, () => (r() - 0.5) * 4);
    const w = Float32Array.from({ length: K }, () => 0.5 + r());
    const [xa, xb, x, xn] = [b.allocate(rows, K), b.allocate(rows, K), b.allocate(rows, K), b.allocate(rows, K)];
    b.write(xa, a);
    b.write(xb, c);
    const weight = b.uploadVector(fromArray('f32', [K], w));
    const xq = b.allocateQuantized(rows, K, 'per-token');
    const before = driver.launches.get('row_fused') ?? 0;
    b.ops.add({ out: x, a: xa, b: xb });
    b.ops.rmsnorm({ out: xn, x, weight, eps: 1e-5 });
    b.ops.quantizeActivations({ out: xq, x: xn });
    const sum = await b.read(x);
    const norm = await b.read(xn);
    const { q, scale } = await b.readQuantized(xq);
    expect((driver.launches.get('row_fused') ?? 0) - before, 'one fused launch a row chain').toBe(1);
    for (let t = 0; t < rows; t++) {
      let ss = 0;
      for (let i = 0; i < K; i++) {
        const at = t * K + i;
        expect(sum[at]).toBe(Math.fround(a[at] + c[at]));
        ss += sum[at] * sum[at];
      }
      const inv = 1 / Math.sqrt(ss / K + 1e-5);
      let m = 0;
      for (let i = 0; i < K; i++) {
        const want = sum[t * K + i] * inv * w[i];
        expect(Math.abs(norm[t * K + i] - want)).toBeLessThanOrEqual(1e-5 * Math.abs(want) + 1e-7);
        m = Math.max(m, Math.abs(norm[t * K + i]));
      }
      const s = 127 / Math.max(m, 1e-5);
      expect(scale[t]).toBe(s);
      for (let i = 0; i < K; i++) expect(q[t * K + i], `row ${t}, element ${i}`).toBe(Math.min(127, Math.max(-128, roundHalfEven(norm[t * K + i] * s))) + 0); // + 0: int8 has no -0
    }
    b.dispose();
  });

  it.each([
    [8192, 'ternary_row_int8'],
    [8256, 'ternary_int8'],
  ])('K = %i: a one-token product (%s) equals the exact integer product', async (K, kernel) => {
    const { backend: b, driver } = createEmulatedCudaBackend();
    const N = 19;
    const r = prng(K + 1);
    const t = Int8Array.from({ length: N * K }, () => Math.floor(r() * 3) - 1);
    // Integers with 127 at the row's largest: per-token scale 1, so q = x exactly.
    const x = Float32Array.from({ length: K }, (_, i) => (i === 5 ? 127 : Math.floor(r() * 255) - 127));
    const w = b.uploadTernary({ rows: N, cols: K, packed: packTernaryRows(t, N, K), scale: 1, storage: 'hf-packed' });
    const xb = b.allocate(1, K);
    b.write(xb, x);
    const xq = b.allocateQuantized(1, K, 'per-token');
    b.ops.quantizeActivations({ out: xq, x: xb });
    const y = b.allocate(1, N);
    const before = driver.launches.get(kernel) ?? 0;
    b.ops.ternaryMatmul({ out: y, w, x: xq });
    const got = await b.read(y);
    expect((driver.launches.get(kernel) ?? 0) - before, kernel).toBe(1);
    for (let j = 0; j < N; j++) {
      let dot = 0;
      for (let i = 0; i < K; i++) dot += t[j * K + i] * x[i];
      expect(got[j], `row ${j}`).toBe(dot);
    }
    b.dispose();
  });
});
