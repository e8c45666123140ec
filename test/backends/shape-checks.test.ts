/**
 * Every backend rejects inconsistent shapes with the same ShapeError naming the op, before running anything. A
 * backend that cannot run here (no CUDA device, no WebGPU adapter) is reported as skipped with its reason.
 */
import { describe, expect, it } from 'vitest';
import { backendNames, createBackend } from '../../src/backends/registry.js';
import { BackendUnavailableError, ShapeError } from '../../src/errors.js';
import { packTernaryRows } from '../../src/formats/ternary-rows.js';
import { fromArray } from '../../src/tensor.js';

describe('op shape checks', () => {
  for (const name of backendNames()) {
    it(`[${name}] names the op and the mismatch`, async (ctx) => {
      const b = await createBackend(name, { threads: 1 }).catch((err: unknown) => {
        if (err instanceof BackendUnavailableError) ctx.skip(`skipped: ${err.reason}`);
        throw err;
      });
      try {
        const x = b.allocate(2, 8);
        const w = b.uploadTernary({ rows: 4, cols: 12, packed: packTernaryRows(new Int8Array(48), 4, 12), scale: 1, storage: 'hf-packed' });
        const xq = b.allocateQuantized(2, 8);
        expect(() => b.ops.ternaryMatmul({ out: b.allocate(2, 4), w, x: xq })).toThrow(ShapeError);
        expect(() => b.ops.ternaryMatmul({ out: b.allocate(2, 4), w, x: xq })).toThrow(/ternaryMatmul: expected x \[2, 12\], got \[2, 8\]/);
        expect(() => b.ops.rmsnorm({ out: x, x, weight: b.uploadVector(fromArray('f32', [6], new Float32Array(6))), eps: 1e-5 })).toThrow(/rmsnorm/);
        expect(() => b.ops.rope({ x, startPos: -1, headDim: 4, theta: 1e4 })).toThrow(/rope: expected startPos a non-negative integer/);
        const table = b.uploadMatrix(fromArray('f32', [3, 8], new Float32Array(24)));
        expect(() => b.ops.lmHead({ out: b.allocate(1, 3), x, table, fromRow: 2 })).toThrow(/lmHead: expected fromRow in \[0, 1\]/);
      } finally {
        b.dispose();
      }
    });
  }
});
