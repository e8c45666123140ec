/**
 * The CUDA modules' source text: each is src/kernels/cuda/common.cuh followed by its own file, so that the two
 * modules share one copy of the reductions and the ternary-code unpacking without NVRTC include paths.
 * - bitnet.cu: every op (BASE_KERNELS); a device without it cannot run the backend;
 * - ternary-gemm.cu: the tensor-core prefill product (GEMM_KERNELS); optional — where it does not compile or load,
 *   prefill runs on bitnet.cu's ternary_int8 (same results).
 */
export const BASE_KERNELS = ['row_fused', 'quantize_q8k', 'ternary_int8', 'ternary_int8_multi', 'kv_append', 'ternary_float', 'rope_append', 'attention', 'lm_head', 'embed', 'argmax_rows'] as const;
export const GEMM_KERNELS = ['ternary_gemm'] as const;
export type KernelName = (typeof BASE_KERNELS)[number] | (typeof GEMM_KERNELS)[number];

export type ModuleFile = 'bitnet.cu' | 'ternary-gemm.cu';

/** common.cuh + `file`, read from the package (Node only: the browser bundle never loads the cuda backend). */
export async function kernelSource(file: ModuleFile): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const read = (name: string) => readFile(new URL(`../../kernels/cuda/${name}`, import.meta.url), 'utf8');
  return `${await read('common.cuh')}\n${await read(file)}`;
}
