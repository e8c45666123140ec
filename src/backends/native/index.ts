/**
 * The `native` backend: C++ kernels (native/, an N-API addon built by node-gyp at install) with runtime CPU
 * dispatch (AVX2 + FMA + F16C, else portable scalar code) and a persistent pool of native threads. Ops are recorded
 * and a whole token runs in one call into native code (program.ts). Preferred over `wasm` on CPU when the addon
 * built and loads; without it the engine falls back to `wasm` and `--verbose` says why.
 */
import { InvalidOptionError, ShapeError } from '../../errors.js';
import type { FloatTable, TernaryMatrix } from '../../model/weights.js';
import type { Tensor } from '../../tensor.js';
import type { Backend, BackendDescriptor, BackendInfo, BackendOptions } from '../backend.js';
import { readCopy, withShapeChecks } from '../checks.js';
import type { ActivationBuffer, ActivationScheme, KvCacheBuffer, QuantizedBuffer } from '../ops.js';
import { loadNativeAddon, type NativeAddon, type NativeProfile } from './addon.js';
import { act, kvCache, NativeActivations, NativeBlock, NativeKvCache, NativeQuantized, quantized, TABLE_STORAGE, type NativeMatrix, type NativeTernary, type NativeVector } from './buffers.js';
import { createNativeOps } from './ops.js';
import { ProgramRecorder } from './program.js';

export class NativeBackend implements Backend {
  readonly name = 'native';
  readonly ops;
  private readonly program: ProgramRecorder;
  /** Tables handed out by allocateTable and not yet uploaded. */
  private readonly tables = new WeakMap<ArrayBufferView, NativeBlock>();
  private disposed = false;

  private constructor(private readonly addon: NativeAddon, private readonly threads: number, private readonly lmHeadMode: 'exact' | 'int8') {
    this.program = new ProgramRecorder(addon, addon.createRunner(threads));
    this.ops = withShapeChecks(createNativeOps(addon, this.program));
  }

  /** `threads` defaults to the machine's cores. */
  static async create(options: BackendOptions = {}): Promise<NativeBackend> {
    const addon = await loadNativeAddon();
    const { availableParallelism } = await import('node:os');
    const threads = options.threads ?? availableParallelism();
    if (!Number.isSafeInteger(threads) || threads < 1 || threads > 1024) throw new InvalidOptionError('threads', `must be an integer in [1, 1024], got ${threads}`);
    const lmHead = options.lmHead ?? 'exact';
    if (lmHead !== 'exact' && lmHead !== 'int8') throw new InvalidOptionError('lmHead', `must be 'exact' or 'int8', got '${String(lmHead)}'`);
    return new NativeBackend(addon, threads, lmHead);
  }

  info(): BackendInfo {
    const features = this.addon.features();
    return { name: this.name, precision: 'float32', threads: this.threads, features: this.lmHeadMode === 'int8' ? [...features, 'int8-lm-head'] : features };
  }

  uploadTernary(w: TernaryMatrix): NativeTernary {
    const groups = Math.ceil(w.rows / 4);
    const chunks = Math.ceil(w.cols / 128);
    const block = new NativeBlock(this.addon, groups * chunks * 128);
    this.addon.packTernary(block.address, w.packed, w.rows, w.cols);
    return { rows: w.rows, cols: w.cols, groups, chunks, block, scale: w.scale };
  }

  uploadVector(v: Tensor<'f32'>): NativeVector {
    const block = new NativeBlock(this.addon, v.data.length * 4);
    new Float32Array(block.buffer).set(v.data);
    return { length: v.data.length, block };
  }

  /** Tables stay as stored (F16 / BF16 / F32), widened exactly in the kernels; 'int8' keeps only the lossy copy. */
  uploadMatrix(m: FloatTable): NativeMatrix {
    if (m.shape.length !== 2) throw new ShapeError('uploadMatrix', '[rows, cols]', `[${m.shape.join(', ')}]`);
    const [rows, cols] = m.shape;
    const width = m.dtype === 'f32' ? 4 : 2;
    let block = this.tables.get(m.data);
    if (block !== undefined) this.tables.delete(m.data);
    else {
      block = new NativeBlock(this.addon, rows * cols * width);
      (m.dtype === 'f32' ? new Float32Array(block.buffer) : new Uint16Array(block.buffer)).set(m.data);
    }
    const exact: NativeMatrix = { rows, cols, block, storage: m.dtype, rowBytes: cols * width, scales: null };
    if (this.lmHeadMode !== 'int8') return exact;
    const rowBytes = Math.ceil(cols / 16) * 16;
    const q = new NativeBlock(this.addon, rows * rowBytes);
    const scales = new NativeBlock(this.addon, rows * 4);
    this.addon.quantizeTable(block.address, TABLE_STORAGE[m.dtype], rows, cols, q.address, scales.address, rowBytes);
    block.free(); // only the lossy copy is kept: without this the exact table lingers until a collection (+50% RSS at 2B-4T)
    return { rows, cols, block: q, storage: 'i8', rowBytes, scales };
  }

  allocateTable(dtype: FloatTable['dtype'], rows: number, cols: number): Float32Array | Uint16Array {
    const block = new NativeBlock(this.addon, rows * cols * (dtype === 'f32' ? 4 : 2));
    const data = dtype === 'f32' ? new Float32Array(block.buffer) : new Uint16Array(block.buffer);
    this.tables.set(data, block);
    return data;
  }

  allocate(rows: number, cols: number): NativeActivations {
    return new NativeActivations(this.addon, rows, cols);
  }

  allocateQuantized(rows: number, cols: number, scheme: ActivationScheme = 'per-token'): NativeQuantized {
    return new NativeQuantized(this.addon, rows, cols, scheme);
  }

  allocateKvCache(layers: number, capacity: number, kvDim: number): NativeKvCache {
    return new NativeKvCache(this.addon, layers, capacity, kvDim);
  }

  /** The cache's memory returns at once (after anything pending that uses it has run). */
  releaseKvCache(c: KvCacheBuffer): void {
    if (c instanceof NativeKvCache && c.block.freed) return; // released twice: nothing to do
    const cache = kvCache('releaseKvCache', c);
    this.program.flush();
    cache.block.free();
  }

  /** A dropped activation or quantized buffer's memory returns at once (after anything pending has run). */
  release(buffer: ActivationBuffer | QuantizedBuffer): void {
    this.program.flush();
    if (buffer instanceof NativeActivations) {
      buffer.block.free();
      return;
    }
    const q = quantized('release', buffer as QuantizedBuffer);
    for (const b of [q.q, q.scale, q.sums]) b.free();
  }

  write(x: ActivationBuffer, data: ArrayLike<number>): void {
    const b = act('write', x);
    if (data.length !== b.rows * b.cols) throw new ShapeError('write', `${b.rows * b.cols} values`, `${data.length}`);
    this.program.flush();
    b.data.set(data);
  }

  async read(x: ActivationBuffer, into?: Float64Array | Float32Array): Promise<Float32Array> {
    const b = act('read', x);
    this.program.flush();
    return readCopy(Float32Array, b.data, into);
  }

  async readQuantized(x: QuantizedBuffer): Promise<{ q: Int8Array; scale: Float64Array }> {
    const b = quantized('readQuantized', x);
    this.program.flush();
    const src = new Int8Array(b.q.buffer);
    const q = new Int8Array(b.rows * b.cols);
    for (let t = 0; t < b.rows; t++) q.set(src.subarray(t * b.stride, t * b.stride + b.cols), t * b.cols);
    const scales = b.scheme === 'q8k' ? (b.rows * b.cols) / 256 : b.rows;
    return { q, scale: new Float64Array(b.scale.buffer, 0, scales).slice() };
  }

  /**
   * Per-op timing inside the native runs, for measurements (bench/native-profile.mjs): `profiling(true)` starts
   * and clears it, `profile()` reads it. Off by default (it reads the clock twice per record).
   */
  profiling(on: boolean): void {
    this.program.setProfiling(on);
  }

  profile(): NativeProfile {
    return this.program.profile();
  }

  /** Runs anything pending and joins the native threads; the backend's memory returns as its buffers are collected. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.program.close();
  }
}

export const nativeBackend: BackendDescriptor = {
  name: 'native',
  async unavailableReason() {
    try {
      await loadNativeAddon();
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  },
  create: async (options) => NativeBackend.create(options),
};
