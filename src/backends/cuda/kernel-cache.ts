/**
 * Compiled CUDA kernels kept on disk between processes: NVRTC takes seconds to compile bitnet.cu, and the result
 * depends only on the source, the device's architecture and the compiler. The cubin is stored under the user's cache
 * directory, named by a SHA-256 of those three, written atomically (temporary file, then rename); a cached cubin the
 * driver refuses (truncated, another driver) is compiled again and replaced. A cache that cannot be written
 * (read-only home) only costs the compile.
 *
 * Where: $BITNET_CACHE_DIR, else $XDG_CACHE_HOME/bitnet-ts, else ~/.cache/bitnet-ts. BITNET_CACHE_DIR=off disables it.
 */
import type { CudaDriver } from './driver.js';

export interface KernelCacheResult {
  readonly kernels: Map<string, unknown>;
  /** 'hit': loaded from disk; 'compiled': compiled and stored; 'uncached': compiled, not stored (why in `note`). */
  readonly source: 'hit' | 'compiled' | 'uncached';
  readonly path: string | null;
  readonly note?: string;
}

async function cacheDir(): Promise<string | null> {
  const env = process.env.BITNET_CACHE_DIR;
  if (env === 'off') return null;
  const { join } = await import('node:path');
  if (env !== undefined && env !== '') return env;
  const { homedir } = await import('node:os');
  const base = process.env.XDG_CACHE_HOME !== undefined && process.env.XDG_CACHE_HOME !== '' ? process.env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'bitnet-ts');
}

/** The kernels of `source` for the driver's device: from the disk cache when it has them, else compiled and stored. */
export async function compileCached(driver: CudaDriver, source: string, name: string, kernels: readonly string[]): Promise<KernelCacheResult> {
  const fs = await import('node:fs/promises');
  const { join } = await import('node:path');
  const { createHash } = await import('node:crypto');
  const dir = await cacheDir();
  if (dir === null) return { kernels: driver.loadModule(driver.compile(source, name), kernels), source: 'uncached', path: null, note: 'BITNET_CACHE_DIR=off' };
  const key = createHash('sha256').update(`${driver.compilerId}\n sm_${driver.computeCapability}\n${name}\n${source}`).digest('hex').slice(0, 32);
  const path = join(dir, `cuda-${name.replace(/[^A-Za-z0-9_.-]/g, '_')}-sm${driver.computeCapability}-${key}.cubin`);
  try {
    const cubin = await fs.readFile(path);
    return { kernels: driver.loadModule(cubin, kernels), source: 'hit', path };
  } catch {
    // absent, unreadable, or refused by the driver: compile below and replace it
  }
  const cubin = driver.compile(source, name);
  const loaded = driver.loadModule(cubin, kernels);
  try {
    await fs.mkdir(dir, { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    await fs.writeFile(tmp, cubin);
    await fs.rename(tmp, path);
    return { kernels: loaded, source: 'compiled', path };
  } catch (err) {
    return { kernels: loaded, source: 'uncached', path: null, note: `could not store ${path}: ${(err as Error).message}` };
  }
}
