/**
 * The cuda backend's kernel sources compiled by the real NVRTC through the backend's own binding
 * (src/backends/cuda/nvrtc.ts), which needs no GPU: the same library, options and text a GPU machine compiles at
 * first use. cuda-source.test.ts checks the text with nvcc, whose implicit CUDA headers NVRTC lacks; this is the
 * check that NVRTC itself takes it. NVRTC comes from the loader's path or BITNET_NVRTC_LIBRARY (.ci/run unpacks the
 * nvidia-cuda-nvrtc wheel where pip can fetch it, and vitest.config.ts points here); without it: skipped, saying so.
 */
import { describe, expect, it } from 'vitest';
import { CudaError, loadKoffi } from '../../src/backends/cuda/koffi-library.js';
import { openNvrtc, type Nvrtc } from '../../src/backends/cuda/nvrtc.js';
import { BASE_KERNELS, GEMM_KERNELS, kernelSource, type ModuleFile } from '../../src/backends/cuda/sources.js';

let nvrtc: Nvrtc | null = null;
let reason = '';
try {
  nvrtc = await openNvrtc(await loadKoffi());
} catch (err) {
  reason = `no NVRTC library (${(err as Error).message.split(';')[0]})`;
}

const MODULES: [ModuleFile, readonly string[]][] = [
  ['bitnet.cu', BASE_KERNELS],
  ['ternary-gemm.cu', GEMM_KERNELS],
];
// Turing (the oldest with int8 WMMA that NVRTC 13 targets), Ampere, Hopper.
const ARCHS = [75, 80, 90];

describe.skipIf(nvrtc === null)(`the CUDA modules compile with NVRTC${nvrtc === null ? ` skipped: ${reason}` : ''}`, () => {
  it('names itself with its version (the compiled-kernel cache key)', () => {
    expect(nvrtc!.id).toMatch(/nvrtc.* \d+\.\d+$/);
  });

  for (const [file, kernels] of MODULES) {
    for (const arch of ARCHS) {
      it(`${file} for sm_${arch}, with every kernel the backend launches`, async () => {
        const cubin = nvrtc!.compile(await kernelSource(file), file, arch);
        const bytes = Buffer.from(cubin).toString('latin1');
        expect(bytes.startsWith('\x7fELF'), 'a cubin is an ELF image').toBe(true);
        // extern "C" kernels keep their names in the ELF string table as they are.
        for (const k of kernels) expect(bytes.includes(`\0${k}\0`), k).toBe(true);
      });
    }
  }

  it('a source that does not compile is a CudaError carrying NVRTC log', () => {
    const broken = 'extern "C" __global__ void k(float* y) { y[0] = undefinedThing; }';
    let error: unknown;
    try {
      nvrtc!.compile(broken, 'broken.cu', 90);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CudaError);
    expect((error as Error).message).toMatch(/NVRTC could not compile broken\.cu for sm_90:[\s\S]*undefinedThing/);
  });
});
