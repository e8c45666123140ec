/**
 * The `wasm` backend: ternary × int8 and lm_head products in WebAssembly SIMD kernels (relaxed SIMD where the
 * engine has it) over one shared memory; everything else on the float64 reference kernels, stored as float32.
 * Preferred over `reference` on CPU when WebAssembly SIMD and SharedArrayBuffer are available.
 */
import { InvalidOptionError, ShapeError } from '../../errors.js';
import { tableToF32, type FloatTable, type TernaryMatrix } from '../../model/weights.js';
import type { Tensor } from '../../tensor.js';
import type { Backend, BackendDescriptor, BackendInfo, BackendOptions } from '../backend.js';
import type { ActivationBuffer, ActivationScheme, KvCacheBuffer, QuantizedBuffer } from '../ops.js';
import { act, kvCache, quantized, WasmActivations, WasmKvCache, WasmQuantized, type WasmMatrix, type WasmTernary, type WasmVector } from './buffers.js';
import { WasmHeap } from './heap.js';
import { interleavedShape, interleaveTernary } from './layout.js';
import { allFiniteF16, chooseTableStorage, decodeTableRow, encodeTable, quantizeTableRows } from './matrix-storage.js';
import { loadKernels, type KernelExports } from './module.js';
import { readCopy, withShapeChecks } from '../checks.js';
import { createWasmOps } from './ops.js';
import { KernelPool } from './pool.js';

export class WasmBackend implements Backend {
  readonly name = 'wasm';
  readonly ops;
  private readonly heap: WasmHeap;
  /** Runs the products ops.ts holds back (it batches those sharing an input); called before touching any buffer. */
  private readonly flush: () => void;
  /** Tables handed out by allocateTable and not yet uploaded: their heap blocks. */
  private readonly tables = new WeakMap<ArrayBufferView, { offset: number; dtype: FloatTable['dtype'] }>();
  /** KV caches nobody released: their heap blocks are reclaimed when they are collected. */
  private readonly unreleased = new FinalizationRegistry<{ offset: number; bytes: number }>((block) => this.heap.release(block.offset, block.bytes));

  private constructor(heap: WasmHeap, private readonly pool: KernelPool, private readonly features: readonly string[], private readonly lmHeadMode: 'exact' | 'int8') {
    this.heap = heap;
    const { ops, flush } = createWasmOps(heap, pool);
    this.ops = withShapeChecks(ops);
    this.flush = flush;
  }

  /** `threads` defaults to the machine's cores; rows of each product are split across them. */
  static async create(options: BackendOptions = {}): Promise<WasmBackend> {
    const { module, features } = await loadKernels();
    const threads = options.threads ?? (await defaultThreads());
    if (!Number.isSafeInteger(threads) || threads < 1) throw new InvalidOptionError('threads', `must be an integer >= 1, got ${threads}`);
    const heap = new WasmHeap();
    const instance = await WebAssembly.instantiate(module, { env: { memory: heap.memory } });
    const lmHead = options.lmHead ?? 'exact';
    if (lmHead !== 'exact' && lmHead !== 'int8') throw new InvalidOptionError('lmHead', `must be 'exact' or 'int8', got '${String(lmHead)}'`);
    const pool = await KernelPool.create(module, heap.memory, instance.exports as unknown as KernelExports, threads);
    return new WasmBackend(heap, pool, lmHead === 'int8' ? [...features, 'int8-lm-head'] : features, lmHead);
  }

  info(): BackendInfo {
    return { name: this.name, precision: 'float32', threads: this.pool.threads, features: this.features };
  }

  uploadTernary(w: TernaryMatrix): WasmTernary {
    const { groups, kblocks } = interleavedShape(w);
    const offset = this.heap.alloc(groups * kblocks * 64);
    interleaveTernary(w, this.heap.u8.subarray(offset, offset + groups * kblocks * 64));
    return { rows: w.rows, cols: w.cols, groups, kblocks, offset, scale: w.scale };
  }

  uploadVector(v: Tensor<'f32'>): WasmVector {
    const offset = this.heap.alloc(v.data.length * 4);
    this.heap.f32.set(v.data, offset >> 2);
    return { length: v.data.length, offset };
  }

  /**
   * 16-bit tables stay 16-bit; a float32 table is stored as bfloat16 or half when that holds every value exactly
   * (matrix-storage.ts), else as float32. Halves that are infinite or NaN are widened (the kernel does not).
   */
  uploadMatrix(m: FloatTable): WasmMatrix {
    const exact = this.uploadExact(m);
    return this.lmHeadMode === 'int8' ? this.toInt8(exact) : exact;
  }

  /** The lossy int8 copy of a table (lmHead: 'int8'); the exact block goes back to the heap. */
  private toInt8(t: WasmMatrix): WasmMatrix {
    const rowBytes = Math.ceil(t.cols / 16) * 16;
    const offset = this.heap.alloc(t.rows * rowBytes);
    const scalesOffset = this.heap.alloc(t.rows * 4);
    const q = this.heap.i8.subarray(offset, offset + t.rows * rowBytes);
    const scales = this.heap.f32.subarray(scalesOffset >> 2, (scalesOffset >> 2) + t.rows);
    quantizeTableRows(t.rows, t.cols, (r, dst) => decodeTableRow(this.heap, t, r, dst), q, rowBytes, scales);
    this.heap.release(t.offset, t.rows * t.cols * (t.storage === 'f32' ? 4 : 2));
    return { rows: t.rows, cols: t.cols, offset, storage: 'i8', rowBytes, scalesOffset };
  }

  private uploadExact(m: FloatTable): WasmMatrix {
    if (m.shape.length !== 2) throw new ShapeError('uploadMatrix', '[rows, cols]', `[${m.shape.join(', ')}]`);
    const n = m.data.length;
    const [rows, cols] = m.shape;
    const inHeap = this.tables.get(m.data);
    if (inHeap !== undefined) {
      // Filled in place (allocateTable): kept where it is unless it is a half table the kernel cannot widen.
      this.tables.delete(m.data);
      if (m.dtype !== 'f16' || allFiniteF16(m.data)) return { rows, cols, offset: inHeap.offset, storage: inHeap.dtype };
    }
    if (m.dtype === 'bf16' || (m.dtype === 'f16' && allFiniteF16(m.data))) {
      const offset = this.heap.alloc(n * 2);
      this.heap.u16.set(m.data, offset >> 1);
      return { rows, cols, offset, storage: m.dtype };
    }
    const f32 = tableToF32(m).data;
    const storage = chooseTableStorage(f32);
    const offset = this.heap.alloc(n * (storage === 'f32' ? 4 : 2));
    if (storage === 'f32') this.heap.f32.set(f32, offset >> 2);
    else encodeTable(f32, storage, this.heap.u16.subarray(offset >> 1, (offset >> 1) + n));
    return { rows, cols, offset, storage };
  }

  allocateTable(dtype: FloatTable['dtype'], rows: number, cols: number): Float32Array | Uint16Array {
    const n = rows * cols;
    const offset = this.heap.alloc(n * (dtype === 'f32' ? 4 : 2));
    const data = dtype === 'f32' ? this.heap.f32.subarray(offset >> 2, (offset >> 2) + n) : this.heap.u16.subarray(offset >> 1, (offset >> 1) + n);
    this.tables.set(data, { offset, dtype });
    return data;
  }

  allocate(rows: number, cols: number): WasmActivations {
    return new WasmActivations(this.heap, rows, cols);
  }

  allocateQuantized(rows: number, cols: number, scheme: ActivationScheme = 'per-token'): WasmQuantized {
    return new WasmQuantized(this.heap, rows, cols, scheme);
  }

  allocateKvCache(layers: number, capacity: number, kvDim: number): WasmKvCache {
    const cache = new WasmKvCache(this.heap, layers, capacity, kvDim);
    this.unreleased.register(cache, { offset: cache.offset, bytes: cache.bytes }, cache);
    return cache;
  }

  releaseKvCache(c: KvCacheBuffer): void {
    this.flush();
    const cache = kvCache('releaseKvCache', c);
    if (this.unreleased.unregister(cache)) this.heap.release(cache.offset, cache.bytes);
  }

  release(buffer: ActivationBuffer | QuantizedBuffer): void {
    this.flush();
    if (buffer instanceof WasmActivations) this.heap.release(buffer.offset, buffer.rows * buffer.cols * 4);
    else quantized('release', buffer as QuantizedBuffer).release();
  }

  write(x: ActivationBuffer, data: ArrayLike<number>): void {
    this.flush();
    const b = act('write', x);
    if (data.length !== b.rows * b.cols) throw new ShapeError('write', `${b.rows * b.cols} values`, `${data.length}`);
    b.data.set(data);
  }

  async read(x: ActivationBuffer, into?: Float64Array | Float32Array): Promise<Float32Array> {
    this.flush();
    return readCopy(Float32Array, act('read', x).data, into);
  }

  async readQuantized(x: QuantizedBuffer): Promise<{ q: Int8Array; scale: Float64Array }> {
    this.flush();
    const b = quantized('readQuantized', x);
    if (b.jsQ !== null) return { q: b.jsQ.slice(), scale: b.scale.slice() };
    const q = new Int8Array(b.rows * b.cols);
    const src = b.q;
    for (let t = 0; t < b.rows; t++) q.set(src.subarray(t * b.paddedCols, t * b.paddedCols + b.cols), t * b.cols);
    return { q, scale: b.scale.slice() };
  }

  dispose(): void {
    this.flush();
    this.pool.dispose();
  }
}

async function defaultThreads(): Promise<number> {
  if (typeof process !== 'undefined' && process.versions?.node !== undefined) return (await import('node:os')).availableParallelism();
  return globalThis.navigator?.hardwareConcurrency ?? 1;
}

export const wasmBackend: BackendDescriptor = {
  name: 'wasm',
  async unavailableReason() {
    try {
      await loadKernels();
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  },
  create: async (options) => WasmBackend.create(options),
};
