/**
 * The wasm backend keeps embedding / lm_head tables as half or bfloat16 when that holds them exactly
 * (src/backends/wasm/matrix-storage.ts) and widens them in its kernels. Checked against independent decoders
 * (f16ToNumber / bf16ToNumber from the format codecs) and naive float64 products: the storage choice, the bit-level
 * float32 → half conversion for every half, and embed / lmHead / KV-cache reuse on tables of each storage.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WasmBackend } from '../../src/backends/wasm/index.js';
import { chooseTableStorage, f32BitsToF16 } from '../../src/backends/wasm/matrix-storage.js';
import type { WasmMatrix } from '../../src/backends/wasm/buffers.js';
import { bf16ToNumber, f16ToNumber } from '../../src/formats/float16.js';
import { fromArray } from '../../src/tensor.js';
import { expectClose } from '../../spec/expect-close.js';
import { naiveEmbed, naiveLmHead } from '../../spec/math.js';
import { tolerance } from '../../spec/tolerances.js';

let backend: WasmBackend;
beforeAll(async () => {
  backend = await WasmBackend.create({ threads: 2 });
});
afterAll(() => backend.dispose());

const bitsOf = (v: number): number => new Uint32Array(Float32Array.of(v).buffer)[0];
const isFinite16 = (h: number): boolean => ((h >> 10) & 0x1f) !== 0x1f;

describe('float32 → half, bit level', () => {
  it('gives back every finite half from its float32 value, signed zeros and subnormals included', () => {
    for (let h = 0; h < 0x10000; h++) {
      if (!isFinite16(h)) continue;
      expect(f32BitsToF16(bitsOf(f16ToNumber(h)))).toBe(h);
    }
  });

  it('refuses values no half holds exactly', () => {
    for (const v of [1 + 2 ** -11, 2 ** -25, 3 * 2 ** -26, 65520, 1e-30, 70000, 1 / 3]) expect(f32BitsToF16(bitsOf(v)), `${v}`).toBe(-1);
  });
});

describe('storage choice', () => {
  it('is bf16 for bfloat16 values, f16 for half values, f32 otherwise and for infinities', () => {
    expect(chooseTableStorage(Float32Array.of(1, -2, 0.5, bf16ToNumber(0x3f81), bf16ToNumber(0x7149)))).toBe('bf16');
    expect(chooseTableStorage(Float32Array.of(1, -2, f16ToNumber(0x3c01), f16ToNumber(0x0001)))).toBe('f16');
    expect(chooseTableStorage(Float32Array.of(1, 1 / 3))).toBe('f32');
    expect(chooseTableStorage(Float32Array.of(1, Infinity))).toBe('f32');
  });
});

/** A [V, d] table of random finite halves (or bfloat16 values) and a float32 activation matrix. */
function tableCase(kind: 'f16' | 'bf16') {
  const decode = kind === 'f16' ? f16ToNumber : bf16ToNumber;
  // bfloat16: zero or in [2^-60, 2^61) in magnitude, so that products with x and their sums stay normal float32.
  const bf16Exponent = (h: number): number => (h >> 7) & 0xff;
  const half = fc
    .integer({ min: 0, max: 0xffff })
    .filter((h) => (kind === 'f16' ? isFinite16(h) : (h & 0x7fff) === 0 || (bf16Exponent(h) >= 67 && bf16Exponent(h) <= 187)));
  return fc
    .record({ V: fc.integer({ min: 1, max: 40 }), d: fc.integer({ min: 1, max: 70 }), T: fc.integer({ min: 1, max: 5 }) })
    .chain(({ V, d, T }) =>
      fc.record({
        V: fc.constant(V),
        d: fc.constant(d),
        T: fc.constant(T),
        table: fc.array(half, { minLength: V * d, maxLength: V * d }).map((hs) => Float32Array.from(hs, decode)),
        // Multiples of 2^-10: products with the smallest half subnormal stay normal float32 numbers.
        x: fc.array(fc.integer({ min: -4096, max: 4096 }), { minLength: T * d, maxLength: T * d }).map((a) => Float32Array.from(a, (v) => v / 1024)),
        ids: fc.array(fc.integer({ min: 0, max: V - 1 }), { minLength: 1, maxLength: 4 }).map((a) => Int32Array.from(a)),
      }),
    );
}

for (const kind of ['f16', 'bf16'] as const) {
  describe(`${kind} tables`, () => {
    it(`are stored as ${kind}; embed is exact and lmHead matches the naive product`, async () => {
      let runs = 0;
      await fc.assert(
        fc.asyncProperty(tableCase(kind), async ({ V, d, T, table, x, ids }) => {
          // An all-bf16 table of halves is also bf16-exact (e.g. all zeros): the narrowest exact storage wins.
          const handle = backend.uploadMatrix(fromArray('f32', [V, d], table)) as WasmMatrix;
          expect(handle.storage).toBe(chooseTableStorage(table));
          expect(handle.storage).not.toBe('f32');

          const emb = backend.allocate(ids.length, d);
          backend.ops.embed({ out: emb, table: handle, tokenIds: ids });
          expect(Array.from(await backend.read(emb))).toEqual(Array.from(naiveEmbed(table, d, ids)));

          const xb = backend.allocate(T, d);
          backend.write(xb, x);
          const out = backend.allocate(T, V);
          backend.ops.lmHead({ out, x: xb, table: handle, fromRow: 0 });
          const want = naiveLmHead(x, T, d, table, V, 0);
          expectClose(`lmHead ${kind}`, await backend.read(out), want.logits, tolerance('lmHead', 'float32'), { scale: want.scale, cols: V });
          runs++;
        }),
        { numRuns: 150 },
      );
      expect(runs).toBe(150);
    });
  });
}

describe('half tables with pre-scaled x (lm_head_f16x)', () => {
  it('give bit for bit the results of widening with a multiply (the same real products, rounded the same)', async () => {
    type Pool = { lmHead(s: string, table: number, V: number, d: number, x: number, T: number, out: number): void };
    const pool = (backend as unknown as { pool: Pool }).pool;
    let compared = 0;
    await fc.assert(
      fc.asyncProperty(tableCase('f16'), async ({ V, d, T, table, x }) => {
        const handle = backend.uploadMatrix(fromArray('f32', [V, d], table)) as WasmMatrix;
        if (handle.storage !== 'f16') return; // bf16-exact tables take the bf16 kernel
        const xb = backend.allocate(T, d);
        backend.write(xb, x);
        const viaOp = backend.allocate(T, V);
        backend.ops.lmHead({ out: viaOp, x: xb, table: handle, fromRow: 0 }); // |x| < 2^16: the f16x kernel
        const direct = backend.allocate(T, V);
        pool.lmHead('f16', handle.offset, V, d, (xb as unknown as { offset: number }).offset, T, (direct as unknown as { offset: number }).offset);
        expect(Array.from(await backend.read(viaOp))).toEqual(Array.from(await backend.read(direct)));
        compared++;
      }),
      { numRuns: 100 },
    );
    expect(compared).toBeGreaterThan(50);
  });
});

describe('tables filled in place (allocateTable)', () => {
  it('are kept where they were written, without a copy, and give the same logits as an uploaded copy', async () => {
    const [V, d] = [7, 20];
    const halves = Uint16Array.from({ length: V * d }, (_, i) => (0x3000 + 37 * i) & 0x7bff);
    const data = backend.allocateTable('f16', V, d) as Uint16Array;
    data.set(halves);
    const inPlace = backend.uploadMatrix(fromArray('f16', [V, d], data)) as WasmMatrix;
    expect(inPlace.storage).toBe('f16');
    expect(inPlace.offset).toBe(data.byteOffset);
    const copied = backend.uploadMatrix(fromArray('f16', [V, d], halves.slice())) as WasmMatrix;
    expect(copied.offset).not.toBe(data.byteOffset);
    const x = backend.allocate(1, d);
    backend.write(x, Float32Array.from({ length: d }, (_, i) => (i % 5) - 2));
    const [a, b] = [backend.allocate(1, V), backend.allocate(1, V)];
    backend.ops.lmHead({ out: a, x, table: inPlace, fromRow: 0 });
    backend.ops.lmHead({ out: b, x, table: copied, fromRow: 0 });
    expect(Array.from(await backend.read(a))).toEqual(Array.from(await backend.read(b)));
  });

  it('widens a half table holding an infinity to float32 (the half kernel does not widen infinities)', () => {
    const data = backend.allocateTable('f16', 2, 4) as Uint16Array;
    data.set([0x3c00, 0x7c00, 0, 0, 0, 0, 0, 0]);
    const m = backend.uploadMatrix(fromArray('f16', [2, 4], data)) as WasmMatrix;
    expect(m.storage).toBe('f32');
  });
});

describe('int8 lm_head (lmHead: "int8", lossy by design)', () => {
  it('computes exactly the documented formula: rows and tokens quantised absmax → int8, integer dots, two scales', async () => {
    const lossy = await WasmBackend.create({ threads: 2, lmHead: 'int8' });
    try {
      expect(lossy.info().features).toContain('int8-lm-head');
      let runs = 0;
      await fc.assert(
        fc.asyncProperty(tableCase('f16'), async ({ V, d, T, table, x }) => {
          const handle = lossy.uploadMatrix(fromArray('f32', [V, d], table));
          const xb = lossy.allocate(T, d);
          lossy.write(xb, x);
          const out = lossy.allocate(T, V);
          lossy.ops.lmHead({ out, x: xb, table: handle, fromRow: 0 });
          const got = await lossy.read(out);
          // An independent rendering of docs/numerics.md "int8 lm_head".
          const quantize = (row: Float32Array): { q: number[]; s: number } => {
            let amax = 0;
            for (const v of row) amax = Math.max(amax, Math.abs(v));
            const s = Math.fround(amax / 127);
            return { q: Array.from(row, (v) => (s === 0 ? 0 : Math.max(-127, Math.min(127, Math.round(v / s))))), s };
          };
          for (let t = 0; t < T; t++) {
            const xr = quantize(x.subarray(t * d, (t + 1) * d));
            for (let v = 0; v < V; v++) {
              const er = quantize(table.subarray(v * d, (v + 1) * d));
              let dot = 0;
              for (let i = 0; i < d; i++) dot += er.q[i] * xr.q[i];
              expect(got[t * V + v]).toBe(Math.fround(Math.fround(Math.fround(dot) * er.s) * xr.s));
            }
          }
          runs++;
        }),
        { numRuns: 100 },
      );
      expect(runs).toBe(100);
    } finally {
      lossy.dispose();
    }
  });

  it('is refused by the reference backend, which computes the lm_head exactly', async () => {
    const { createBackend } = await import('../../src/backends/registry.js');
    await expect(createBackend('reference', { lmHead: 'int8' })).rejects.toThrow(/reference backend computes the lm_head exactly/);
  });
});

describe('KV cache memory', () => {
  it('is reused after release: many caches in a row do not grow the heap', () => {
    const first = backend.allocateKvCache(4, 256, 64);
    backend.releaseKvCache(first);
    const heap = (backend as unknown as { heap: { used: number } }).heap;
    const used = heap.used;
    for (let i = 0; i < 50; i++) backend.releaseKvCache(backend.allocateKvCache(4, 200 + i, 64));
    expect(heap.used).toBe(used);
  });
});
