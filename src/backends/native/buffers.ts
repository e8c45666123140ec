/**
 * The native backend's buffers and handles: every one is a block of native memory (an external ArrayBuffer from
 * the addon) plus its address, which recorded programs carry. JavaScript reads and writes the same memory through
 * typed-array views, after the pending program has run (program.ts).
 */
import { ShapeError } from '../../errors.js';
import { Q8K_BLOCK, type ActivationBuffer, type ActivationScheme, type KvCacheBuffer, type MatrixHandle, type QuantizedBuffer, type TernaryHandle, type VectorHandle } from '../ops.js';
import type { NativeAddon } from './addon.js';

/** One native allocation: the ArrayBuffer keeps it alive, `address` is where kernels find it. */
export class NativeBlock {
  readonly buffer: ArrayBuffer;
  readonly address: number;
  constructor(private readonly addon: NativeAddon, readonly bytes: number) {
    this.buffer = addon.alloc(bytes);
    this.address = addon.address(this.buffer);
  }
  /** Gives the memory back now. Only once no pending program refers to it (the backend flushes first). */
  free(): void {
    this.addon.free(this.buffer);
  }
  /** True once freed (a detached ArrayBuffer reads as empty). */
  get freed(): boolean {
    return this.bytes > 0 && this.buffer.byteLength === 0;
  }
}

export class NativeActivations implements ActivationBuffer {
  readonly block: NativeBlock;
  readonly data: Float32Array;
  constructor(addon: NativeAddon, readonly rows: number, readonly cols: number) {
    this.block = new NativeBlock(addon, rows * cols * 4);
    this.data = new Float32Array(this.block.buffer, 0, rows * cols);
  }
}

/** Columns padded to the kernels' 128-column chunks for 'per-token' (padding stays zero); Q8_K rows are exact. */
export class NativeQuantized implements QuantizedBuffer {
  readonly stride: number;
  readonly q: NativeBlock;
  /** 'per-token': s per row (x ≈ q / s); 'q8k': d per 256-block (float32 values). */
  readonly scale: NativeBlock;
  /** 'per-token': Σ_i q[t, i] per row, which turns code dots Σ q · (t + 1) into Σ q · t. */
  readonly sums: NativeBlock;
  constructor(addon: NativeAddon, readonly rows: number, readonly cols: number, readonly scheme: ActivationScheme) {
    if (scheme === 'q8k' && cols % Q8K_BLOCK !== 0) throw new ShapeError('allocateQuantized', `cols a multiple of ${Q8K_BLOCK} for q8k`, `${cols}`);
    this.stride = scheme === 'q8k' ? cols : Math.ceil(cols / 128) * 128;
    this.q = new NativeBlock(addon, rows * this.stride);
    this.scale = new NativeBlock(addon, (scheme === 'q8k' ? (rows * cols) / Q8K_BLOCK : rows) * 8);
    this.sums = new NativeBlock(addon, rows * 4);
  }
}

/** float32 keys and values: per layer keys then values, each head-major [Hkv][capacity][D]. */
export class NativeKvCache implements KvCacheBuffer {
  readonly block: NativeBlock;
  constructor(addon: NativeAddon, readonly layers: number, readonly capacity: number, readonly kvDim: number) {
    this.block = new NativeBlock(addon, 2 * layers * capacity * kvDim * 4);
  }
  /** Address of layer `l`'s keys (which = 0) or values (which = 1). */
  at(l: number, which: 0 | 1): number {
    return this.block.address + (2 * l + which) * this.capacity * this.kvDim * 4;
  }
}

export interface NativeTernary extends TernaryHandle {
  readonly block: NativeBlock;
  readonly groups: number;
  readonly chunks: number;
  readonly scale: number;
}

export interface NativeVector extends VectorHandle {
  readonly block: NativeBlock;
}

/** Table storage codes shared with native/kernels.h (TableStorage). */
export const TABLE_STORAGE = { f32: 0, f16: 1, bf16: 2, i8: 3 } as const;

export interface NativeMatrix extends MatrixHandle {
  readonly block: NativeBlock;
  readonly storage: keyof typeof TABLE_STORAGE;
  /** 'i8' only: row stride in bytes and one float32 scale per row. */
  readonly rowBytes: number;
  readonly scales: NativeBlock | null;
}

function narrow<T>(op: string, what: string, b: unknown, cls: abstract new (...args: never[]) => T): T {
  if (!(b instanceof cls)) throw new ShapeError(op, `a native-backend ${what}`, (b as object)?.constructor?.name ?? String(b));
  return b;
}

/** Native code must never see freed memory: a released buffer passed to an op is an error here. */
function live<T>(op: string, b: T, block: NativeBlock): T {
  if (block.freed) throw new ShapeError(op, 'a live buffer', 'one that was released');
  return b;
}

export const act = (op: string, b: ActivationBuffer): NativeActivations => {
  const a = narrow(op, 'activation buffer', b, NativeActivations);
  return live(op, a, a.block);
};
export const quantized = (op: string, b: QuantizedBuffer): NativeQuantized => {
  const q = narrow(op, 'quantized buffer', b, NativeQuantized);
  return live(op, q, q.q);
};
export const kvCache = (op: string, b: KvCacheBuffer): NativeKvCache => {
  const c = narrow(op, 'KV cache', b, NativeKvCache);
  return live(op, c, c.block);
};
