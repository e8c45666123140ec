/**
 * The cuda backend over the emulated driver (driver.ts): the real backend and kernel source, run on the CPU.
 * Used by the op specs (spec/backends.ts) and the golden tests as one more backend to check.
 */
import { CudaBackend } from '../../../src/backends/cuda/index.js';
import { BASE_KERNELS, GEMM_KERNELS, kernelSource } from '../../../src/backends/cuda/sources.js';
import { emulatorUnavailableReason, openEmulatedCudaDriver, type EmulatedCudaDriver } from './driver.js';

export const EMULATED_CUDA = 'cuda-emulated';

/** Why the emulated cuda backend cannot run here, or null. */
export const emulatedCudaUnavailable = (): string | null => emulatorUnavailableReason();

const sources = { base: await kernelSource('bitnet.cu'), gemm: await kernelSource('ternary-gemm.cu') };

/**
 * A fresh emulated device with both modules loaded (bitnet.cu and the tensor-core GEMM, whose WMMA the emulator
 * defines layout-free); `fusion`, `attentionBlocks` and `graphs` as CudaBackend.withDriver takes them, `gemm: false`
 * leaves the GEMM module out.
 */
export function createEmulatedCudaBackend(options: { fusion?: boolean; gemm?: boolean; attentionBlocks?: number; graphs?: boolean } = {}): { backend: CudaBackend; driver: EmulatedCudaDriver } {
  const driver = openEmulatedCudaDriver();
  const kernels = driver.loadModule(driver.compile(sources.base, 'bitnet.cu'), BASE_KERNELS);
  if (options.gemm ?? true) for (const [name, fn] of driver.loadModule(driver.compile(sources.gemm, 'ternary-gemm.cu'), GEMM_KERNELS)) kernels.set(name, fn);
  return { backend: CudaBackend.withDriver(driver, kernels, { fusion: options.fusion, attentionBlocks: options.attentionBlocks, graphs: options.graphs }), driver };
}
