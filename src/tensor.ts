/**
 * The small tensor abstraction: a shape, a dtype and the TypedArray that holds the elements, row-major with the
 * LAST dimension contiguous (PyTorch order; formats §1.1 calls that dimension ne0). Nothing more: no strides,
 * no broadcasting, no autograd. Kernels take the TypedArrays directly; tensors carry them between rooms.
 */
import { ShapeError } from './errors.js';

/** 'f16' and 'bf16' hold the raw 16-bit patterns (IEEE half, bfloat16) as a file stores them. */
export type DType = 'f64' | 'f32' | 'f16' | 'bf16' | 'i32' | 'i8' | 'u8';

export interface DTypeArrays {
  f64: Float64Array;
  f32: Float32Array;
  f16: Uint16Array;
  bf16: Uint16Array;
  i32: Int32Array;
  i8: Int8Array;
  u8: Uint8Array;
}

export interface Tensor<D extends DType = DType> {
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly data: DTypeArrays[D];
}

const CONSTRUCTORS = {
  f64: Float64Array,
  f32: Float32Array,
  f16: Uint16Array,
  bf16: Uint16Array,
  i32: Int32Array,
  i8: Int8Array,
  u8: Uint8Array,
} as const;

/** Number of elements of a shape; rejects negative and non-integer extents. */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new ShapeError('numel', 'non-negative integer extents', `[${shape.join(', ')}]`);
    n *= d;
  }
  return n;
}

/** A zero-filled tensor. */
export function zeros<D extends DType>(dtype: D, shape: readonly number[]): Tensor<D> {
  const data = new CONSTRUCTORS[dtype](numel(shape)) as DTypeArrays[D];
  return { dtype, shape: [...shape], data };
}

/** Wraps an existing array; its length must match the shape. */
export function fromArray<D extends DType>(dtype: D, shape: readonly number[], data: DTypeArrays[D]): Tensor<D> {
  if (!(data instanceof CONSTRUCTORS[dtype])) throw new ShapeError('fromArray', `a ${CONSTRUCTORS[dtype].name}`, data.constructor.name);
  if (data.length !== numel(shape)) throw new ShapeError('fromArray', `${numel(shape)} elements for [${shape.join(', ')}]`, `${data.length}`);
  return { dtype, shape: [...shape], data };
}

/** Throws ShapeError unless `t` has exactly `shape` (use -1 for "any extent"). */
export function assertShape(op: string, t: Tensor, shape: readonly number[]): void {
  const ok = t.shape.length === shape.length && shape.every((d, i) => d === -1 || d === t.shape[i]);
  if (!ok) throw new ShapeError(op, `[${shape.map((d) => (d === -1 ? '*' : d)).join(', ')}]`, `[${t.shape.join(', ')}]`);
}
