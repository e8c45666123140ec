/**
 * The process's CUDA driver and compiled modules, opened once: libcuda and NVRTC through koffi (driver.ts), then
 * bitnet.cu's module (required) and ternary-gemm.cu's (optional), each from the disk cache or NVRTC
 * (kernel-cache.ts).
 */
import { openCudaDriver, type CudaDriver } from './driver.js';
import { compileCached, type KernelCacheResult } from './kernel-cache.js';
import { BASE_KERNELS, GEMM_KERNELS, kernelSource as moduleSource } from './sources.js';

type Opened = { driver: CudaDriver; kernels: Map<string, unknown>; kernelSource: KernelCacheResult['source']; gemm: string };
let opened: Promise<Opened> | null = null;
/** One driver, context and compiled module per process. */
export function openCuda(): Promise<Opened> {
  opened ??= (async () => {
    if (typeof process === 'undefined' || process.versions?.node === undefined) throw new Error('CUDA needs Node (the driver API is reached through koffi)');
    const driver = await openCudaDriver();
    const compiled = await compileCached(driver, await moduleSource('bitnet.cu'), 'bitnet.cu', BASE_KERNELS);
    const kernels = new Map(compiled.kernels);
    const gemm = await loadGemm(driver, kernels);
    return { driver, kernels, kernelSource: compiled.source, gemm };
  })();
  return opened;
}

/**
 * The tensor-core prefill module (ternary-gemm.cu) added to `kernels` where the device has int8 WMMA (sm_72 on) and
 * it compiles and loads; what info() says of it either way. BITNET_CUDA_TENSOR_CORES=off leaves it out.
 */
async function loadGemm(driver: CudaDriver, kernels: Map<string, unknown>): Promise<string> {
  if (process.env.BITNET_CUDA_TENSOR_CORES === 'off') return 'no tensor-core GEMM (BITNET_CUDA_TENSOR_CORES=off)';
  if (driver.computeCapability < 72) return `no tensor-core GEMM (sm_${driver.computeCapability} has no int8 WMMA)`;
  try {
    const gemm = await compileCached(driver, await moduleSource('ternary-gemm.cu'), 'ternary-gemm.cu', GEMM_KERNELS);
    for (const [name, fn] of gemm.kernels) kernels.set(name, fn);
    return 'tensor-core GEMM';
  } catch (err) {
    return `no tensor-core GEMM (${(err as Error).message.split('\n')[0]})`;
  }
}
