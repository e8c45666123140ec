/**
 * The cuda backend without a GPU: it reports itself unavailable with "no CUDA device" (and the engine refuses it
 * by name with that reason); its kernel source declares every kernel the backend launches; and every op, run over
 * a fake driver, launches its kernel with arguments matching the kernel's C signature one for one (pointer, int,
 * float) — the marshalling a wrong order would silently break on a real device. The device itself is checked by
 * bench/device/gpu-check.mjs --backend cuda (docs/backends.md has its figures).
 */
import { describe, expect, it } from 'vitest';
import { CudaBackend, cudaBackend, KERNELS } from '../../src/backends/cuda/index.js';
import type { CudaDriver, DevicePtr, KernelArg } from '../../src/backends/cuda/driver.js';
import { kernelSource } from '../../src/backends/cuda/sources.js';
import { createBackend } from '../../src/backends/registry.js';
import { BackendUnavailableError } from '../../src/errors.js';
import { packTernaryRows } from '../../src/formats/ternary-rows.js';
import { fromArray } from '../../src/tensor.js';

const SOURCE = await kernelSource('bitnet.cu');

/** Each kernel's parameter kinds, from its `extern "C" __global__ void [__launch_bounds__(…)] name(...)` declaration. */
function signatures(): Map<string, KernelArg['type'][]> {
  const out = new Map<string, KernelArg['type'][]>();
  for (const m of SOURCE.matchAll(/extern "C" __global__ void (?:__launch_bounds__\([^)]*\)\s*)?(\w+)\(([^)]*)\)/g)) {
    const kinds = m[2].split(',').map((p) => (p.includes('*') ? 'ptr' : /\bfloat\b/.test(p) ? 'f32' : 'i32'));
    out.set(m[1], kinds as KernelArg['type'][]);
  }
  return out;
}

const unavailable = await cudaBackend.unavailableReason();

describe('cuda backend', () => {
  it.skipIf(unavailable === null)('without a device: unavailable, with a reason that says so', async () => {
    expect(unavailable).toMatch(/^no CUDA device/);
    await expect(createBackend('cuda')).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(createBackend('cuda')).rejects.toThrow(/no CUDA device/);
  });

  it('the kernel source declares every kernel the backend launches', () => {
    const declared = signatures();
    for (const k of KERNELS) expect(declared.has(k), k).toBe(true);
  });

  it('every op launches its kernel with arguments matching the C signature', async () => {
    const declared = signatures();
    const launched = new Set<string>();
    let next = 0x1000n;
    const fake: CudaDriver = {
      deviceName: 'fake',
      computeCapability: 90,
      alloc: (bytes: number): DevicePtr => (next += BigInt(Math.ceil(bytes / 256) * 256 + 256)),
      free: () => undefined,
      upload: () => undefined,
      download: () => undefined,
      copy: () => undefined,
      zero: () => undefined,
      compilerId: 'fake',
      compile: () => new Uint8Array(0),
      loadModule: () => new Map(),
      synchronize: () => undefined,
      launch(kernel, grid, block, shared, args) {
        const name = kernel as string;
        expect(args.map((a) => a.type), name).toEqual(declared.get(name));
        expect(grid).toBeGreaterThan(0);
        expect(block[0] * block[1]).toBeLessThanOrEqual(1024);
        expect(shared).toBeLessThanOrEqual(48 * 1024);
        launched.add(name);
      },
    };
    const b = CudaBackend.withDriver(fake, new Map(KERNELS.map((k) => [k, k])));
    const [T, K, N, V, H, D] = [3, 512, 40, 50, 4, 32];
    const w = b.uploadTernary({ rows: N, cols: K, packed: packTernaryRows(new Int8Array(N * K), N, K), scale: 1, storage: 'tq2_0' });
    const x = b.allocate(T, K);
    const y = b.allocate(T, N);
    for (const scheme of ['per-token', 'q8k'] as const) {
      const xq = b.allocateQuantized(T, K, scheme);
      b.ops.quantizeActivations({ out: xq, x });
      b.ops.ternaryMatmul({ out: y, w, x: xq });
      b.ops.ternaryMatmul({ out: b.allocate(T, N), w, x: xq }); // per-token: both in one launch
      b.ops.add({ out: x, a: x, b: x }); // ends the group: the next product is a launch of its own
      b.ops.ternaryMatmul({ out: y, w, x: xq });
    }
    // One row (a decode step's product): the kernel of its own for rows that fit its registers.
    const row = b.allocateQuantized(1, K, 'per-token');
    b.ops.quantizeActivations({ out: row, x: b.allocate(1, K) });
    b.ops.ternaryMatmul({ out: b.allocate(1, N), w, x: row });
    b.ops.ternaryMatmulFloat({ out: y, w, x });
    b.ops.rmsnorm({ out: x, x, weight: b.uploadVector(fromArray('f32', [K], new Float32Array(K))), eps: 1e-5 });
    const table = b.uploadMatrix(fromArray('f16', [V, K], new Uint16Array(V * K)));
    b.ops.embed({ out: x, table, tokenIds: Int32Array.from([0, 1, 2]) });
    b.ops.lmHead({ out: b.allocate(T, V), x, table, fromRow: 0 });
    const q = b.allocate(T, H * D);
    const kv = b.allocate(T, (H / 2) * D);
    b.ops.rope({ x: q, startPos: 5, headDim: D, theta: 10000 });
    b.ops.attention({ out: q, q, k: kv, v: kv, cache: b.allocateKvCache(1, 16, (H / 2) * D), layer: 0, startPos: 0, numHeads: H, numKvHeads: H / 2, headDim: D });
    b.ops.siluMul({ out: y, gate: y, up: y });
    b.ops.reluSqMul({ out: y, gate: y, up: y });
    b.ops.add({ out: y, a: y, b: y });
    await b.argmaxRows(y);
    b.dispose(); // issues the launches still held for fusion
    expect([...launched].sort().join(), "launched").toEqual([...KERNELS].sort().join());
  });
});
