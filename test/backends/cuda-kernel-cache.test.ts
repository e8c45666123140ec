/**
 * The on-disk cache of NVRTC output (src/backends/cuda/kernel-cache.ts), with a fake driver standing in for CUDA:
 * compile once, load from disk afterwards, a new entry per architecture, a refused cubin compiled again, and no cache
 * when it is disabled or cannot be written. Needs no GPU.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CudaDriver } from '../../src/backends/cuda/driver.js';
import { CudaError } from '../../src/backends/cuda/driver.js';
import { compileCached } from '../../src/backends/cuda/kernel-cache.js';

/** A driver whose "cubin" is the source's bytes plus the architecture; loadModule refuses anything else. */
function fakeDriver(computeCapability: number): CudaDriver & { compiles: number; loads: number } {
  const cubinOf = (source: string) => new TextEncoder().encode(`cubin:sm_${computeCapability}:${source}`);
  const d = {
    compiles: 0,
    loads: 0,
    deviceName: 'fake',
    computeCapability,
    compilerId: 'libnvrtc.so.12',
    compile(source: string) {
      d.compiles++;
      return cubinOf(source);
    },
    loadModule(cubin: Uint8Array, kernels: readonly string[]) {
      d.loads++;
      if (!new TextDecoder().decode(cubin).startsWith(`cubin:sm_${computeCapability}:`)) throw new CudaError('CUDA_ERROR_INVALID_IMAGE');
      return new Map(kernels.map((k) => [k, `${k}@sm_${computeCapability}`]));
    },
  };
  return d as unknown as CudaDriver & { compiles: number; loads: number };
}

const SOURCE = 'extern "C" __global__ void k() {}';
let saved: string | undefined;
let dir: string;
beforeEach(() => {
  saved = process.env.BITNET_CACHE_DIR;
  dir = mkdtempSync(join(tmpdir(), 'bitnet-cuda-cache-'));
  process.env.BITNET_CACHE_DIR = dir;
});
afterEach(() => {
  if (saved === undefined) delete process.env.BITNET_CACHE_DIR;
  else process.env.BITNET_CACHE_DIR = saved;
});

describe('CUDA kernel cache', () => {
  it('compiles once, then loads the stored cubin without NVRTC', async () => {
    const a = fakeDriver(90);
    const first = await compileCached(a, SOURCE, 'bitnet.cu', ['k']);
    expect(first.source).toBe('compiled');
    expect(a.compiles).toBe(1);
    expect(first.kernels.get('k')).toBe('k@sm_90');
    const b = fakeDriver(90); // a later process
    const second = await compileCached(b, SOURCE, 'bitnet.cu', ['k']);
    expect(second).toMatchObject({ source: 'hit', path: first.path });
    expect(b.compiles).toBe(0);
    expect(second.kernels.get('k')).toBe('k@sm_90');
  });

  it('keeps one entry per architecture and per source', async () => {
    await compileCached(fakeDriver(90), SOURCE, 'bitnet.cu', ['k']);
    const other = fakeDriver(80);
    expect((await compileCached(other, SOURCE, 'bitnet.cu', ['k'])).source).toBe('compiled');
    expect((await compileCached(fakeDriver(90), `${SOURCE} // changed`, 'bitnet.cu', ['k'])).source).toBe('compiled');
    expect(readdirSync(dir).filter((f) => f.endsWith('.cubin'))).toHaveLength(3);
  });

  it('compiles again and replaces a stored cubin the driver refuses', async () => {
    const first = await compileCached(fakeDriver(90), SOURCE, 'bitnet.cu', ['k']);
    writeFileSync(first.path as string, 'truncated');
    const d = fakeDriver(90);
    const again = await compileCached(d, SOURCE, 'bitnet.cu', ['k']);
    expect(again.source).toBe('compiled');
    expect(d.compiles).toBe(1);
    expect(readFileSync(first.path as string, 'utf8')).toBe(`cubin:sm_90:${SOURCE}`);
  });

  it('works without a cache: disabled, or a directory that cannot be created', async () => {
    process.env.BITNET_CACHE_DIR = 'off';
    const off = await compileCached(fakeDriver(90), SOURCE, 'bitnet.cu', ['k']);
    expect(off).toMatchObject({ source: 'uncached', path: null });
    writeFileSync(join(dir, 'a-file'), '');
    process.env.BITNET_CACHE_DIR = join(dir, 'a-file', 'cache'); // under a regular file: mkdir fails
    const blocked = await compileCached(fakeDriver(90), SOURCE, 'bitnet.cu', ['k']);
    expect(blocked.source).toBe('uncached');
    expect(blocked.note).toMatch(/could not store/);
    expect(blocked.kernels.get('k')).toBe('k@sm_90');
  });
});
