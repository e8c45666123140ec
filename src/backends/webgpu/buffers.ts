/**
 * The webgpu backend's buffers and weight handles: each holds tfjs tensors on the GPU. Ops replace an activation
 * buffer's tensor with the program's fresh output (and dispose the old one), so aliasing outputs is free.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { ShapeError } from '../../errors.js';
import type { ActivationBuffer, ActivationScheme, KvCacheBuffer, MatrixHandle, QuantizedBuffer, TernaryHandle, VectorHandle } from '../ops.js';

export class GpuActivations implements ActivationBuffer {
  constructor(readonly rows: number, readonly cols: number, public tensor: Tensor) {}

  /** Takes `next` as the contents, disposing the previous tensor. */
  replace(next: Tensor): void {
    const old = this.tensor;
    this.tensor = next;
    if (old !== next) old.dispose();
  }
}

/** int8 activations four to an i32 word, rows padded to whole 16-column words; stats hold the scales (see quantize-wgsl.ts). */
export class GpuQuantized implements QuantizedBuffer {
  readonly words: number;
  q: Tensor | null = null;
  stats: Tensor | null = null;

  constructor(readonly rows: number, readonly cols: number, readonly scheme: ActivationScheme) {
    this.words = Math.ceil(cols / 16) * 4;
  }

  dispose(): void {
    this.q?.dispose();
    this.stats?.dispose();
    this.q = this.stats = null;
  }
}

export class GpuKvCache implements KvCacheBuffer {
  constructor(readonly layers: number, readonly capacity: number, readonly kvDim: number, readonly k: Tensor[], readonly v: Tensor[]) {}
}

export interface GpuTernary extends TernaryHandle {
  /** u32 words per row (16 columns each). */
  readonly words: number;
  readonly scale: number;
  readonly tensor: Tensor;
}

export interface GpuMatrix extends MatrixHandle {
  readonly storage: 'f32' | 'f16' | 'bf16';
  /** Words per row for the 16-bit storages (two values each, rows padded to even length). */
  readonly words: number;
  readonly tensor: Tensor;
}

export interface GpuVector extends VectorHandle {
  readonly tensor: Tensor;
}

export function act(op: string, b: ActivationBuffer): GpuActivations {
  if (!(b instanceof GpuActivations)) throw new ShapeError(op, 'an activation buffer of the webgpu backend', b.constructor.name);
  return b;
}

export function quantized(op: string, b: QuantizedBuffer): GpuQuantized {
  if (!(b instanceof GpuQuantized)) throw new ShapeError(op, 'a quantized buffer of the webgpu backend', b.constructor.name);
  return b;
}

export function kvCache(op: string, b: KvCacheBuffer): GpuKvCache {
  if (!(b instanceof GpuKvCache)) throw new ShapeError(op, 'a KV cache of the webgpu backend', b.constructor.name);
  return b;
}
