/**
 * Runs our WGSL through tfjs-backend-webgpu's custom-program path (`runWebGPUProgram`): tfjs declares the
 * bindings (`result`, then one read-only array per input name), the `uniforms` struct (its own shape fields plus
 * ours) and the entry point, and calls our `fn main(index: i32)` with the flat invocation index. Pipelines are
 * cached by tfjs under the program's shaderKey, so each kernel compiles once.
 */
import type { Tensor, TensorInfo } from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';

export type UniformValue = { readonly type: 'int32' | 'float32'; readonly data: number[] };

export interface KernelSource {
  /** Unique per distinct WGSL text: the pipeline cache key. */
  readonly key: string;
  readonly inputs: readonly string[];
  /** Our uniform fields, in order, e.g. `T : i32, beta : f32,` (WGSL struct syntax). */
  readonly uniforms: string;
  readonly code: string;
  /** Threads per workgroup along x. */
  readonly workgroupSize: number;
}

/** An i32 uniform. */
export const i32u = (v: number): UniformValue => ({ type: 'int32', data: [v] });
/** An f32 uniform. */
export const f32u = (v: number): UniformValue => ({ type: 'float32', data: [v] });

/**
 * Dispatches `workgroups` workgroups of `src` over `inputs`; returns the new output tensor, or writes into
 * `into` (which must not also be an input). `uniforms` must follow `src.uniforms`' order.
 */
export function runKernel(
  backend: WebGPUBackend,
  src: KernelSource,
  inputs: TensorInfo[],
  out: { shape: number[]; dtype: 'float32' | 'int32' },
  workgroups: number,
  uniforms: UniformValue[],
  into?: TensorInfo,
): TensorInfo {
  const program = {
    variableNames: [...src.inputs],
    outputShape: out.shape,
    shaderKey: src.key,
    dispatchLayout: { x: out.shape.map((_, i) => i) },
    dispatch: [Math.max(1, workgroups), 1, 1] as [number, number, number],
    workgroupSize: [src.workgroupSize, 1, 1] as [number, number, number],
    uniforms: src.uniforms,
    getUserCode: () => src.code,
  };
  return backend.runWebGPUProgram(program, inputs, out.dtype, uniforms as never, into);
}

export type { Tensor };
