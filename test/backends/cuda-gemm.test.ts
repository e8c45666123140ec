/**
 * The cuda backend's tensor-core prefill product (src/kernels/cuda/ternary-gemm.cu), its kernel run by the CPU
 * emulator, whose WMMA is defined layout-free (helpers/cuda-emulator/emulator.h): for calls of 32 tokens and more
 * (the op specs stop at 17), y must be (Σ q · t) · β / s from the backend's own q and s — computed here in float64
 * from spec/math.ts — and bit for bit what the warp-per-row product gives without the GEMM module. Sizes cover
 * partial 64 × 64 tiles in tokens and output rows, and K that is not a whole step of 64 codes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CudaBackend } from '../../src/backends/cuda/index.js';
import { packTernaryRows } from '../../src/formats/ternary-rows.js';
import { matrix, positiveScale, ternary, type TernaryCase } from '../../spec/arbitraries.js';
import { naiveTernaryMatmul } from '../../spec/math.js';
import { createEmulatedCudaBackend, emulatedCudaUnavailable } from '../helpers/cuda-emulator/backend.js';

const unavailable = emulatedCudaUnavailable();

const gemmCase = fc
  .record({ T: fc.integer({ min: 32, max: 140 }), K: fc.oneof(fc.constantFrom(16, 64, 2560 / 8), fc.integer({ min: 1, max: 600 })), N: fc.integer({ min: 1, max: 150 }) })
  .chain(({ T, K, N }) => fc.record({ x: matrix(T, K), w: ternary(N, K), beta: positiveScale }));

async function product(b: CudaBackend, c: TernaryCase) {
  const { x, w, beta } = c;
  const xb = b.allocate(x.rows, x.cols);
  b.write(xb, x.data);
  const xq = b.allocateQuantized(x.rows, x.cols);
  b.ops.quantizeActivations({ out: xq, x: xb });
  const handle = b.uploadTernary({ rows: w.rows, cols: w.cols, packed: packTernaryRows(w.t, w.rows, w.cols), scale: beta, storage: 'hf-packed' });
  const y = b.allocate(x.rows, w.rows);
  b.ops.ternaryMatmul({ out: y, w: handle, x: xq });
  return { y: await b.read(y), quantized: await b.readQuantized(xq) };
}

describe.skipIf(unavailable !== null)(`cuda tensor-core GEMM [emulated]${unavailable === null ? '' : ` skipped: ${unavailable}`}`, () => {
  it('equals (Σ q · t) · β / s, and the warp-per-row product bit for bit (T 32..140, ragged N and K)', async () => {
    const { backend: gemm, driver } = createEmulatedCudaBackend();
    const { backend: rows } = createEmulatedCudaBackend({ gemm: false });
    expect(gemm.info().features).toContain('tensor-core GEMM');
    expect(rows.info().features).toContain('no tensor-core GEMM');
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(gemmCase, async (c) => {
        const before = driver.launches.get('ternary_gemm') ?? 0;
        const a = await product(gemm, c);
        expect(driver.launches.get('ternary_gemm'), 'the GEMM ran').toBe(before + 1);
        const b = await product(rows, c);
        const want = naiveTernaryMatmul(a.quantized.q, a.quantized.scale, c.x.rows, c.x.cols, c.w.t, c.w.rows, c.beta);
        for (let i = 0; i < want.y.length; i++) {
          // The kernel rounds the float64 (Σ · β / s) to float32 once.
          if (a.y[i] !== Math.fround(want.y[i])) throw new Error(`y[${i}] = ${a.y[i]}, want ${Math.fround(want.y[i])} (Σ = ${want.dots[i]})`);
        }
        expect(Buffer.from(a.y.buffer).equals(Buffer.from(b.y.buffer))).toBe(true);
        runs++;
      }),
      { numRuns: 25 },
    );
    expect(runs).toBe(25);
    gemm.dispose();
    rows.dispose();
  });
});
