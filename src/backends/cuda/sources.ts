/**
 * The CUDA modules' source text: each is src/kernels/cuda/common.cuh followed by its own files, so that the two
 * modules share one copy of the reductions and the ternary-code unpacking without NVRTC include paths.
 * - bitnet.cu (+ attention.cu): every op (BASE_KERNELS); a device without it cannot run the backend;
 * - ternary-gemm.cu: the tensor-core prefill product (GEMM_KERNELS); optional — where it does not compile or load,
 *   prefill runs on bitnet.cu's ternary_int8 (same results).
 */
export const BASE_KERNELS = ['row_fused', 'quantize_q8k', 'ternary_int8', 'ternary_int8_multi', 'ternary_row_int8', 'kv_append', 'ternary_float', 'rope_append', 'attention', 'lm_head', 'embed', 'argmax_rows'] as const;
export const GEMM_KERNELS = ['ternary_gemm'] as const;
export type KernelName = (typeof BASE_KERNELS)[number] | (typeof GEMM_KERNELS)[number];

export type ModuleFile = 'bitnet.cu' | 'ternary-gemm.cu';

/** The files of each module after common.cuh, in order. */
const MODULE_FILES: Record<ModuleFile, readonly string[]> = {
  'bitnet.cu': ['bitnet.cu', 'attention.cu'],
  'ternary-gemm.cu': ['ternary-gemm.cu'],
};

/** common.cuh + the module's files, read from the package (Node only: the browser bundle never loads the cuda backend). */
export async function kernelSource(module: ModuleFile): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const read = (name: string) => readFile(new URL(`../../kernels/cuda/${name}`, import.meta.url), 'utf8');
  const texts = await Promise.all(['common.cuh', ...MODULE_FILES[module]].map(read));
  return texts.join('\n');
}
