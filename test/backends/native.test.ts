/**
 * The native backend beyond the op specs: its own kernels at the sizes where their tiling changes (8-token tiles,
 * 32-token blocks, 128-column chunks, 4-row groups, rows split across threads), both kernel paths (AVX2 and the
 * portable scalar code), thread counts, the recorded program's barriers, and what happens without the addon.
 * Skipped with the reason where the addon is not built.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backends/backend.js';
import { loadNativeAddon, type NativeAddon } from '../../src/backends/native/addon.js';
import { nativeBackend } from '../../src/backends/native/index.js';
import { OP, ProgramRecorder } from '../../src/backends/native/program.js';
import { createBackend } from '../../src/backends/registry.js';
import { packTernaryRows } from '../../src/formats/ternary-rows.js';
import { InferenceEngine } from '../../src/engine/engine.js';
import { MODEL_DIR } from '../helpers/golden.js';
import { prng } from '../../spec/arbitraries.js';

const unavailable = await nativeBackend.unavailableReason();
const title = (s: string) => `${s}${unavailable === null ? '' : ` skipped: ${unavailable}`}`;

interface ProductCase {
  T: number;
  K: number;
  N: number;
  seed: number;
}

const sizes = fc.record({
  T: fc.oneof(fc.constantFrom(1, 7, 8, 9, 31, 32, 33, 41), fc.integer({ min: 1, max: 70 })),
  K: fc.oneof(fc.constantFrom(1, 5, 127, 128, 129, 256, 1000, 2563), fc.integer({ min: 1, max: 3000 })),
  N: fc.oneof(fc.constantFrom(1, 3, 4, 5, 17, 64), fc.integer({ min: 1, max: 70 })),
  seed: fc.integer(),
});

/** One product on a backend: quantise x per token, multiply; returns the float output. */
async function product(b: Backend, c: ProductCase, x: Float32Array, packed: Uint8Array): Promise<Float64Array | Float32Array> {
  const xb = b.allocate(c.T, c.K);
  b.write(xb, x);
  const xq = b.allocateQuantized(c.T, c.K);
  const out = b.allocate(c.T, c.N);
  b.ops.quantizeActivations({ out: xq, x: xb });
  b.ops.ternaryMatmul({ out, w: b.uploadTernary({ rows: c.N, cols: c.K, packed, scale: 0.75, storage: 'tq2_0' }), x: xq });
  return b.read(out);
}

function inputs(c: ProductCase): { x: Float32Array; packed: Uint8Array } {
  const r = prng(c.seed);
  const x = Float32Array.from({ length: c.T * c.K }, () => (r() - 0.5) * 2 ** Math.floor(r() * 12 - 4));
  const t = Int8Array.from({ length: c.N * c.K }, () => Math.floor(r() * 3) - 1);
  return { x, packed: packTernaryRows(t, c.N, c.K) };
}

describe.skipIf(unavailable !== null)(title('native kernels against the reference'), () => {
  let addon: NativeAddon;
  let reference: Backend;
  const natives: Backend[] = [];
  beforeAll(async () => {
    addon = await loadNativeAddon();
    reference = await createBackend('reference');
    for (const threads of [1, 2, 3]) natives.push(await createBackend('native', { threads }));
  });
  afterAll(() => {
    addon.setForceScalar(false);
    for (const b of [reference, ...natives]) b.dispose();
  });

  it('ternary products equal the reference (rounded to float32) for every tiling, thread count and kernel path', async () => {
    await fc.assert(
      fc.asyncProperty(sizes, async (c) => {
        const { x, packed } = inputs(c);
        const want = Float32Array.from(await product(reference, c, x, packed));
        for (const scalar of [false, true]) {
          addon.setForceScalar(scalar);
          for (const b of natives) expect(await product(b, c, x, packed), `${JSON.stringify(c)} threads ${b.info().threads} scalar ${scalar}`).toEqual(want);
        }
        addon.setForceScalar(false);
      }),
      { numRuns: 60 },
    );
  });

  it('the lm_head over F16 / BF16 / F32 tables agrees between the AVX2 and scalar kernels and with float64 math', async () => {
    const r = prng(7);
    const [V, d, T] = [37, 203, 3]; // d not a multiple of 8 or 32: the tails run too
    const f32 = Float32Array.from({ length: V * d }, () => Math.fround((r() - 0.5) * 4));
    // Halves and bfloat16s of the same values (exactly representable: few mantissa bits), subnormal halves included.
    const halfBits = Uint16Array.from({ length: V * d }, (_, i) => (i % 97 === 0 ? 0x0001 + (i % 5) : 0x3000 + Math.floor(r() * 0x1800)) | (r() < 0.5 ? 0x8000 : 0));
    const halfValue = (h: number) => {
      const e = (h >> 10) & 31;
      const m = h & 1023;
      const v = e === 0 ? m * 2 ** -24 : (1 + m / 1024) * 2 ** (e - 15);
      return h & 0x8000 ? -v : v;
    };
    const bf16Bits = Uint16Array.from(f32, (v) => new Uint32Array(Float32Array.of(v).buffer)[0] >>> 16);
    const bf16Value = (h: number) => new Float32Array(Uint32Array.of(h << 16).buffer)[0];
    const x = Float32Array.from({ length: T * d }, () => Math.fround(r() - 0.5));
    const tables = [
      { table: { dtype: 'f32' as const, shape: [V, d], data: f32 }, value: (i: number) => f32[i] },
      { table: { dtype: 'f16' as const, shape: [V, d], data: halfBits }, value: (i: number) => halfValue(halfBits[i]) },
      { table: { dtype: 'bf16' as const, shape: [V, d], data: bf16Bits }, value: (i: number) => bf16Value(bf16Bits[i]) },
    ];
    const b = natives[1];
    for (const { table, value } of tables) {
      const results: Float32Array[] = [];
      for (const scalar of [false, true]) {
        addon.setForceScalar(scalar);
        const m = b.uploadMatrix(table as never);
        const xb = b.allocate(T, d);
        b.write(xb, x);
        const out = b.allocate(T, V);
        b.ops.lmHead({ out, x: xb, table: m, fromRow: 0 });
        results.push((await b.read(out)) as Float32Array);
      }
      addon.setForceScalar(false);
      for (let t = 0; t < T; t++) {
        for (let v = 0; v < V; v++) {
          let want = 0;
          let scale = 0;
          for (let i = 0; i < d; i++) {
            want += value(v * d + i) * x[t * d + i];
            scale += Math.abs(value(v * d + i) * x[t * d + i]);
          }
          // float32 accumulation of d terms: (d + 1) · 2^-24 · Σ|terms| (spec/tolerances.ts, lmHead float32).
          for (const got of results) expect(Math.abs(got[t * V + v] - want), `${table.dtype} t ${t} v ${v}`).toBeLessThanOrEqual((d + 1) * 2 ** -24 * scale);
        }
      }
    }
  });

  it('large blocks (own huge-page mappings on Linux) and small ones come back zeroed, hold what is written, and free', () => {
    for (const bytes of [1000, 5 * 2 ** 20 + 3, 2 ** 21]) {
      const buffer = addon.alloc(bytes);
      const view = new Uint8Array(buffer);
      expect(view.length).toBe(bytes);
      for (const i of [0, 1, bytes >> 1, bytes - 1]) expect(view[i]).toBe(0);
      view.fill(0xa5);
      expect(view[bytes - 1]).toBe(0xa5);
      if (process.platform === 'linux' && bytes >= 2 ** 21 && process.env.BITNET_HUGE_PAGES !== 'off') expect(addon.address(buffer) % 2 ** 21).toBe(0);
      addon.free(buffer);
      expect(buffer.byteLength).toBe(0); // detached: nothing in JavaScript reaches the freed memory
    }
  });

  it('a forward pass gives bitwise the same logits on 1, 2 and 3 threads (each output is computed by one thread)', async () => {
    const logits: Float32Array[] = [];
    for (const threads of [1, 2, 3]) {
      const engine = await InferenceEngine.load(MODEL_DIR, { backend: 'native', threads });
      logits.push((await engine.logits({ tokenIds: Array.from({ length: 40 }, (_, i) => (i * 37 + 1) % 4096) })).data as Float32Array);
      engine.close();
    }
    expect(logits[1]).toEqual(logits[0]);
    expect(logits[2]).toEqual(logits[0]);
  });

  it('with llama.cpp numerics (Q8_K products on TQ2_0, unquantised ones on F16) logits are bitwise the same on 1, 2 and 3 threads', async () => {
    for (const type of ['tq2_0', 'f16']) {
      const file = fileURLToPath(new URL(`../../golden/llamacpp/bitnet-d256-L2-s1-${type}.gguf`, import.meta.url));
      const logits: Float32Array[] = [];
      for (const threads of [1, 2, 3]) {
        const engine = await InferenceEngine.load(file, { backend: 'native', threads, numerics: 'llamacpp' });
        logits.push((await engine.logits({ tokenIds: Array.from({ length: 12 }, (_, i) => (i * 37 + 1) % 200) })).data as Float32Array);
        engine.close();
      }
      expect(logits[1], type).toEqual(logits[0]);
      expect(logits[2], type).toEqual(logits[0]);
    }
  });

  it('dispose joins the native threads; the backend refuses work afterwards', async () => {
    // The pool's threads by name (native/pool.cc): the process's own thread count also moves with V8 and libuv.
    const threadName = (t: string) => {
      try {
        return readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim();
      } catch {
        return null; // a thread that ended between the listing and the read
      }
    };
    const threadCount = () => readdirSync('/proc/self/task').filter((t) => threadName(t) === 'bitnet-native').length;
    const before = threadCount();
    const b = await createBackend('native', { threads: 5 });
    expect(threadCount()).toBe(before + 4);
    const x = b.allocate(1, 4);
    b.write(x, [1, 2, 3, 4]);
    b.ops.add({ out: x, a: x, b: x });
    expect(Array.from(await b.read(x))).toEqual([2, 4, 6, 8]);
    b.dispose();
    expect(threadCount()).toBe(before);
    b.ops.add({ out: x, a: x, b: x });
    await expect(b.read(x)).rejects.toThrow(/disposed/);
  });

  it('refuses token ids outside the table before any native code reads them', () => {
    const b = natives[0];
    const table = b.uploadMatrix({ dtype: 'f32', shape: [3, 2], data: new Float32Array(6) } as never);
    expect(() => b.ops.embed({ out: b.allocate(1, 2), table, tokenIds: Int32Array.of(3) })).toThrow(/token ids in \[0, 3\)/);
  });

  it('released buffers and caches return their memory and are refused by ops afterwards', async () => {
    const b = natives[0];
    const x = b.allocate(2, 8);
    b.write(x, new Float32Array(16).fill(1));
    b.ops.add({ out: x, a: x, b: x }); // pending until a read: release must run it first
    b.release?.(x);
    expect(() => b.ops.add({ out: x, a: x, b: x })).toThrow(/released/);
    const cache = b.allocateKvCache(1, 4, 8);
    b.releaseKvCache(cache);
    b.releaseKvCache(cache);
    const q = b.allocate(1, 8);
    expect(() => b.ops.attention({ out: q, q, k: q, v: q, cache, layer: 0, startPos: 0, numHeads: 1, numKvHeads: 1, headDim: 8 })).toThrow(/released/);
  });

  it('refuses a malformed program with an error instead of running it', () => {
    const runner = addon.createRunner(2);
    expect(() => addon.run(runner, Float64Array.of(99, 3, 0), 3)).toThrow(/bad record/);
    expect(() => addon.run(runner, Float64Array.of(OP.add, 4, 0, 0), 4)).toThrow(/bad record/);
    expect(() => addon.run(runner, Float64Array.of(OP.add, 7, 0), 3)).toThrow(/bad record/);
  });
});

describe('native program recording', () => {
  /** A recorder over a fake addon that keeps the words it is asked to run. */
  function recorder(): { program: ProgramRecorder; runs: number[][] } {
    const runs: number[][] = [];
    const fake = { run: (_r: object, words: Float64Array, n: number) => runs.push(Array.from(words.subarray(0, n))) } as unknown as NativeAddon;
    return { program: new ProgramRecorder(fake, {}), runs };
  }
  /** The barrier flag of each record of a run. */
  const barriers = (words: number[]): number[] => {
    const flags: number[] = [];
    for (let at = 0; at < words.length; at += words[at + 1]) flags.push(words[at + 2]);
    return flags;
  };

  it('puts a barrier only where a record depends on one since the last barrier', () => {
    const { program, runs } = recorder();
    const [x, xq, q, k, v, w1, w2, w3] = [{}, {}, {}, {}, {}, {}, {}, {}];
    program.record(OP.quantToken, [0], [x], [xq]); // no earlier record
    program.record(OP.ternary, [0], [xq, w1], [q]); // reads xq: barrier
    program.record(OP.ternary, [0], [xq, w2], [k]); // independent of q: none
    program.record(OP.ternary, [0], [xq, w3], [v]); // none
    program.record(OP.add, [0], [q, k], [q]); // reads q and k: barrier
    program.record(OP.rmsnorm, [0], [v], [x]); // none: v is old, x was last read before the barrier
    program.record(OP.quantToken, [0], [v], [xq]); // writes xq, which nothing read since the barrier: none
    program.record(OP.rope, [0], [x], [x]); // x written since the barrier: barrier
    program.flush();
    expect(runs).toHaveLength(1);
    expect(barriers(runs[0])).toEqual([0, 1, 0, 0, 1, 0, 0, 1]);
  });

  it('a write over memory read since the last barrier waits for the readers', () => {
    const { program, runs } = recorder();
    const [a, b, c] = [{}, {}, {}];
    program.record(OP.add, [0], [a], [b]);
    program.record(OP.add, [0], [c], [a]); // overwrites a, which the first record reads
    program.flush();
    expect(barriers(runs[0])).toEqual([0, 1]);
  });

  it('records carry their token ids and the program runs once per flush', () => {
    const { program, runs } = recorder();
    program.record(OP.embed, [1, 2, 3, 4, 5, 6, 3], [], [{}], Int32Array.of(10, 11, 12));
    expect(program.pending).toBe(true);
    program.flush();
    program.flush();
    expect(runs).toEqual([[OP.embed, 13, 0, 1, 2, 3, 4, 5, 6, 3, 10, 11, 12]]);
    expect(program.pending).toBe(false);
  });
});

describe('without the native addon', () => {
  const cli = new URL('../../dist/cli/main.js', import.meta.url).pathname;
  const env = { ...process.env, BITNET_NATIVE_ADDON: '/nonexistent/bitnet_native.node' };

  it('--backend native fails with the reason and exit code 1', () => {
    const r = spawnSync(process.execPath, [cli, 'run', '--backend', 'native', '-n', '2', 'Hello'], { env, encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/native.*\/nonexistent\/bitnet_native\.node/);
  });

  it('auto falls back to wasm and --verbose says why native was passed over', () => {
    const r = spawnSync(process.execPath, [cli, 'run', '--verbose', '--greedy', '-n', '2', 'Hello'], { env, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/backend wasm/);
    expect(r.stderr).toMatch(/native unavailable: .*\/nonexistent\/bitnet_native\.node/);
  });
});
