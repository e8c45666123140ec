/**
 * The wasm backend's worker threads: products large enough to be split across threads give exactly the results of
 * one thread (each output is computed whole by one thread, so even the float32 lm_head is bit-identical), and the
 * integer part equals an independent dot product.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { InferenceEngine } from '../../src/engine/engine.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WasmHeap } from '../../src/backends/wasm/heap.js';
import { WasmBackend } from '../../src/backends/wasm/index.js';
import { loadKernels, type KernelExports } from '../../src/backends/wasm/module.js';
import { KernelPool } from '../../src/backends/wasm/pool.js';
import { packTernaryRows } from '../../src/formats/ternary-rows.js';
import { fromArray } from '../../src/tensor.js';

let one: WasmBackend;
let two: WasmBackend;
beforeAll(async () => {
  one = await WasmBackend.create({ threads: 1 });
  two = await WasmBackend.create({ threads: 2 });
});
afterAll(() => {
  one.dispose();
  two.dispose();
});

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

describe('wasm backend threads', () => {
  it('reports its thread count', () => {
    expect(one.info().threads).toBe(1);
    expect(two.info().threads).toBe(2);
  });

  it('splits a large ternary product across threads with identical, exact results', async () => {
    const [N, K, T] = [515, 1000, 3]; // ragged rows and columns: padding is exercised too
    const r = rng(7);
    const t = Int8Array.from({ length: N * K }, () => Math.floor(r() * 3) - 1);
    const x = Float32Array.from({ length: T * K }, (_, i) => (i % K === 5 ? 127 : Math.round(r() * 254) - 127)); // s = 1
    const results = [];
    for (const b of [one, two]) {
      const w = b.uploadTernary({ rows: N, cols: K, packed: packTernaryRows(t, N, K), scale: 1, storage: 'hf-packed' });
      const xb = b.allocate(T, K);
      b.write(xb, x);
      const xq = b.allocateQuantized(T, K);
      b.ops.quantizeActivations({ out: xq, x: xb });
      const out = b.allocate(T, N);
      b.ops.ternaryMatmul({ out, w, x: xq });
      results.push(await b.read(out));
    }
    expect(results[1]).toEqual(results[0]);
    for (const [tt, j] of [[0, 0], [1, 514], [2, 257]]) {
      let dot = 0;
      for (let i = 0; i < K; i++) dot += x[tt * K + i] * t[j * K + i];
      expect(results[1][tt * N + j]).toBe(dot);
    }
  });

  it('runs products sharing one input as one batch, each equal to float32((Σ q · t) · β / s) and to the product alone', async () => {
    // q, k, v-like shapes: ragged rows and columns, three scales; T = 1 (decode) and T = 5 (prefill's unpacked codes).
    const shapes = [[517, 700, 0.75], [130, 700, 1.5], [9, 700, 2 ** -7]] as const;
    const K = 700;
    for (const T of [1, 5]) {
      const r = rng(11 + T);
      const ts = shapes.map(([N]) => Int8Array.from({ length: N * K }, () => Math.floor(r() * 3) - 1));
      const x = Float32Array.from({ length: T * K }, () => (r() - 0.5) * 3);
      for (const b of [one, two]) {
        const ws = shapes.map(([N, , beta], m) => b.uploadTernary({ rows: N, cols: K, packed: packTernaryRows(ts[m], N, K), scale: beta, storage: 'hf-packed' }));
        const xb = b.allocate(T, K);
        b.write(xb, x);
        const xq = b.allocateQuantized(T, K);
        b.ops.quantizeActivations({ out: xq, x: xb });
        const { q, scale } = await b.readQuantized(xq);
        const outs = shapes.map(([N]) => b.allocate(T, N));
        ws.forEach((w, m) => b.ops.ternaryMatmul({ out: outs[m], w, x: xq })); // one batch
        const batched = await Promise.all(outs.map((o) => b.read(o)));
        for (let m = 0; m < shapes.length; m++) {
          b.ops.ternaryMatmul({ out: outs[m], w: ws[m], x: xq }); // alone: the read runs it
          expect(await b.read(outs[m])).toEqual(batched[m]);
          const [N, , beta] = shapes[m];
          for (let tt = 0; tt < T; tt++) {
            for (const j of [0, 1, Math.floor(N / 2), N - 1]) {
              let dot = 0;
              for (let i = 0; i < K; i++) dot += q[tt * K + i] * ts[m][j * K + i];
              expect(batched[m][tt * N + j]).toBe(Math.fround((dot * beta) / scale[tt]));
            }
          }
        }
      }
    }
  });

  it('with llama.cpp numerics (Q8_K products on TQ2_0) logits are bitwise the same on 1 and 2 threads', async () => {
    const file = fileURLToPath(new URL('../../golden/llamacpp/bitnet-d256-L2-s1-tq2_0.gguf', import.meta.url));
    const logits: Float32Array[] = [];
    for (const threads of [1, 2]) {
      const engine = await InferenceEngine.load(file, { backend: 'wasm', threads, numerics: 'llamacpp' });
      logits.push((await engine.logits({ tokenIds: Array.from({ length: 12 }, (_, i) => (i * 37 + 1) % 200) })).data as Float32Array);
      engine.close();
    }
    expect(logits[1]).toEqual(logits[0]);
  });

  it('splits a large lm_head across threads with bit-identical float32 results', async () => {
    const [V, d, T] = [4099, 132, 2];
    const r = rng(9);
    const table = Float32Array.from({ length: V * d }, () => r() - 0.5);
    const x = Float32Array.from({ length: T * d }, () => r() - 0.5);
    const results = [];
    for (const b of [one, two]) {
      const m = b.uploadMatrix(fromArray('f32', [V, d], table));
      const xb = b.allocate(T, d);
      b.write(xb, x);
      const out = b.allocate(T, V);
      b.ops.lmHead({ out, x: xb, table: m, fromRow: 0 });
      results.push(await b.read(out));
    }
    expect(results[1]).toEqual(results[0]);
  });
});

describe('wasm backend worker failures', () => {
  it('a trap in a worker thread’s share is thrown by the calling thread, not waited on forever', async () => {
    const { module } = await loadKernels();
    const heap = new WasmHeap();
    const instance = await WebAssembly.instantiate(module, { env: { memory: heap.memory } });
    const pool = await KernelPool.create(module, heap.memory, instance.exports as unknown as KernelExports, 2);
    try {
      const [V, d] = [512, 256];
      const x = heap.alloc(d * 4);
      const out = heap.alloc(V * 4);
      // The table's first half ends exactly at the end of memory: the calling thread's rows [0, V/2) are in bounds,
      // the worker's rows [V/2, V) are not.
      const table = heap.memory.buffer.byteLength - (V / 2) * d * 4;
      expect(() => pool.lmHead('f32', table, V, d, x, 1, out)).toThrow(/lm_head_f32 trapped on worker thread 1/);
      // The pool still works afterwards.
      expect(() => pool.lmHead('f32', heap.alloc(V * d * 4), V, d, x, 1, out)).not.toThrow();
    } finally {
      pool.dispose();
    }
  });

  it.each([
    ['--input-type=module'], // must not reach the CommonJS worker source
    ['--input-type=module', '--expose-gc'], // a per-process flag Node refuses in a worker's execArgv
  ].map((flags) => [flags.join(' '), flags] as const))('starts its workers under node %s', (_name, flags) => {
    const dist = new URL('../../dist/index.js', import.meta.url).href;
    const script = `
      const { createBackend } = await import(${JSON.stringify(dist)});
      const b = await createBackend('wasm', { threads: 2 });
      // An lm_head large enough to be split: it needs the worker.
      const [V, d] = [512, 256];
      const table = b.uploadMatrix({ dtype: 'f32', shape: [V, d], data: new Float32Array(V * d).fill(0.5) });
      const x = b.allocate(1, d);
      b.write(x, new Float32Array(d).fill(2));
      const out = b.allocate(1, V);
      b.ops.lmHead({ out, x, table, fromRow: 0 });
      const logits = await b.read(out);
      console.log(JSON.stringify({ ...b.info(), first: logits[0], last: logits[V - 1] }));
      b.dispose();`;
    const r = spawnSync(process.execPath, [...flags, '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ threads: 2, first: 256, last: 256 });
  });
});
