/**
 * The CPU stand-in for CUDA (helpers/cuda-emulator) that runs the cuda backend's kernels in CI: its execution model
 * must be CUDA's where the kernels depend on it — warp shuffles, block barriers publishing shared memory, threads
 * that return early, dynamic shared memory, __dp4a — and a barrier no thread can pass must be reported, not hang.
 * Expected values here come from the CUDA programming guide's definitions, computed independently in TypeScript.
 */
import { describe, expect, it } from 'vitest';
import { i32, ptr } from '../../src/backends/cuda/driver.js';
import { emulatorUnavailableReason, openEmulatedCudaDriver } from '../helpers/cuda-emulator/driver.js';

const unavailable = emulatorUnavailableReason();

const SOURCE = String.raw`
extern "C" __global__ void shuffles(int* out) {
  int lane = threadIdx.x % 32, base = blockIdx.x * blockDim.x + threadIdx.x;
  out[4 * base + 0] = __shfl_down_sync(0xffffffffu, lane * 10, 3);
  out[4 * base + 1] = __shfl_xor_sync(0xffffffffu, lane * 10, 5);
  out[4 * base + 2] = __shfl_sync(0xffffffffu, lane * 10, 7);
  out[4 * base + 3] = __shfl_up_sync(0xffffffffu, lane * 10, 2);
}
// Reverses n values through shared memory: thread i writes slot i, reads slot n - 1 - i (another warp's).
extern "C" __global__ void reverse(const float* x, float* y, int n) {
  extern __shared__ float slots[];
  int i = threadIdx.x;
  if (i >= n) return; // early return: the barrier below must still release the others
  slots[i] = x[i];
  __syncthreads();
  y[i] = slots[n - 1 - i];
}
extern "C" __global__ void dp4a(const int* a, const int* b, int* c, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) c[i] = __dp4a(a[i], b[i], 1000);
}
extern "C" __global__ void stuck(int* out) {
  if (threadIdx.x == 0) __syncthreads();
  else out[threadIdx.x] = __shfl_down_sync(0xffffffffu, 1, 1);
}
// A 2-D block: threadIdx.y selects the row, as the product kernels use it.
extern "C" __global__ void rows(int* out) {
  out[(blockIdx.x * blockDim.y + threadIdx.y) * blockDim.x + threadIdx.x] = 1000 * blockIdx.x + 100 * threadIdx.y + threadIdx.x;
}
`;

const KERNELS = ['shuffles', 'reverse', 'dp4a', 'stuck', 'rows'];

describe.skipIf(unavailable !== null)(`CUDA emulator${unavailable === null ? '' : ` skipped: ${unavailable}`}`, () => {
  const driver = openEmulatedCudaDriver();
  const kernels = driver.loadModule(driver.compile(SOURCE, 'emulator-self-test.cu'), KERNELS);

  it('warp shuffles: down, xor, broadcast and up, with out-of-range lanes keeping their own value', () => {
    const blocks = 2;
    const n = 64;
    const out = driver.alloc(blocks * n * 4 * 4);
    driver.launch(kernels.get('shuffles'), blocks, [n, 1], 0, [ptr(out)]);
    const got = new Int32Array(blocks * n * 4);
    driver.download(got, out);
    for (let t = 0; t < blocks * n; t++) {
      const lane = t % 32;
      expect([...got.subarray(4 * t, 4 * t + 4)], `thread ${t}`).toEqual([
        (lane + 3 < 32 ? lane + 3 : lane) * 10,
        (lane ^ 5) * 10,
        70,
        (lane - 2 >= 0 ? lane - 2 : lane) * 10,
      ]);
    }
  });

  it('__syncthreads publishes shared memory across warps, and threads that returned do not hold it up', () => {
    const n = 100;
    const x = Float32Array.from({ length: n }, (_, i) => i + 0.5);
    const [dx, dy] = [driver.alloc(n * 4), driver.alloc(n * 4)];
    driver.upload(dx, x);
    driver.launch(kernels.get('reverse'), 1, [128, 1], n * 4, [ptr(dx), ptr(dy), i32(n)]);
    const y = new Float32Array(n);
    driver.download(y, dy);
    expect([...y]).toEqual([...x].reverse());
  });

  it('__dp4a sums the four signed byte products onto c', () => {
    const a = Int32Array.from([0x7f80ff01, 0x01020304, -1, 0]);
    const b = Int32Array.from([0x7f80ff01, 0x04030201, 0x01010101, 0x7f7f7f7f]);
    const bytes = (v: number) => [0, 1, 2, 3].map((k) => ((v >> (8 * k)) << 24) >> 24);
    const want = [...a].map((v, i) => 1000 + bytes(v).reduce((s, x, k) => s + x * bytes(b[i])[k], 0));
    const [da, db, dc] = [driver.alloc(16), driver.alloc(16), driver.alloc(16)];
    driver.upload(da, a);
    driver.upload(db, b);
    driver.launch(kernels.get('dp4a'), 1, [32, 1], 0, [ptr(da), ptr(db), ptr(dc), i32(4)]);
    const c = new Int32Array(4);
    driver.download(c, dc);
    expect([...c]).toEqual(want);
    expect(want[0]).toBe(1000 + 127 * 127 + 128 * 128 + 1 + 1);
  });

  it('2-D blocks: threadIdx.y and blockDim.y', () => {
    const out = driver.alloc(3 * 4 * 32 * 4);
    driver.launch(kernels.get('rows'), 3, [32, 4], 0, [ptr(out)]);
    const got = new Int32Array(3 * 4 * 32);
    driver.download(got, out);
    for (let b = 0; b < 3; b++) for (let y = 0; y < 4; y++) for (let x = 0; x < 32; x++) expect(got[(b * 4 + y) * 32 + x]).toBe(1000 * b + 100 * y + x);
  });

  it('a barrier that can never release is reported as a deadlock', () => {
    const out = driver.alloc(32 * 4);
    expect(() => driver.launch(kernels.get('stuck'), 1, [32, 1], 0, [ptr(out)])).toThrow(/deadlocked/);
  });

  it('device memory starts as NaN bytes, and copies outside an allocation are refused', () => {
    const p = driver.alloc(8);
    const got = new Float32Array(2);
    driver.download(got, p);
    expect(got.every(Number.isNaN)).toBe(true);
    expect(() => driver.upload(p, new Float32Array(3))).toThrow(/outside every allocation/);
    expect(() => driver.download(new Float32Array(2), p + 4n)).toThrow(/outside every allocation/);
  });
});
