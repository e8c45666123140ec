/**
 * The `webgpu` backend: our WGSL kernels (src/kernels/webgpu) run through @tensorflow/tfjs-backend-webgpu's custom
 * program path, on the browser's WebGPU or, in Node, Dawn from the optional `webgpu` package. Weights are uploaded
 * once; activations, int8 activations and the KV cache stay on the GPU; a token reads back only its logits.
 * Offered by 'auto' when a hardware adapter exists (a CPU-emulated one such as SwiftShader is only used when asked
 * for by name); int8 activations and integer sums are exact, the rest float32.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { DeviceError, InvalidOptionError, ShapeError } from '../../errors.js';
import type { FloatTable, TernaryMatrix } from '../../model/weights.js';
import { ternaryRowBytes } from '../../formats/ternary-rows.js';
import type { Tensor as HostTensor } from '../../tensor.js';
import type { Backend, BackendDescriptor, BackendInfo, BackendOptions } from '../backend.js';
import { readTarget, withShapeChecks } from '../checks.js';
import type { ActivationBuffer, ActivationScheme, KvCacheBuffer, QuantizedBuffer } from '../ops.js';
import { act, GpuActivations, GpuKvCache, GpuQuantized, kvCache, quantized, type GpuMatrix, type GpuTernary, type GpuVector } from './buffers.js';
import { gpuAccess, type GpuAccess } from './gpu.js';
import { createWebGpuOps, type WebGpuTuning } from './ops.js';
import { RopeTables } from './rope-tables.js';

type Tf = typeof import('@tensorflow/tfjs-core');

interface TfGpu {
  readonly tf: Tf;
  readonly backend: WebGPUBackend;
  readonly access: GpuAccess;
  /** The device's first uncaptured error (validation, out of memory) or loss, if any: reads throw it. */
  readonly failure: { message: string | null };
}

let shared: Promise<TfGpu> | null = null;

/** One tfjs WebGPU backend (one device) per process, registered as tfjs' 'webgpu' so that tfjs ops run on it too. */
function tfjsOnGpu(access: GpuAccess): Promise<TfGpu> {
  shared ??= (async () => {
    const tf = await import('@tensorflow/tfjs-core');
    const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
    // tfjs-backend-webgpu registers a factory of its own that would open a second device; ours replaces it
    // (tf.findBackend would start that factory, so it is not asked).
    const { adapter } = access;
    const device = await adapter.requestDevice({
      requiredLimits: {
        maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
        maxBufferSize: adapter.limits.maxBufferSize,
        maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize,
      },
    });
    // tfjs lets a failed pipeline or bind group pass as garbage output; we remember the first error and fail reads.
    const failure: { message: string | null } = { message: null };
    device.addEventListener('uncapturederror', (event) => {
      failure.message ??= (event as GPUUncapturedErrorEvent).error.message;
    });
    void device.lost.then((info) => {
      failure.message ??= `device lost: ${info.message}`;
    });
    if (tf.findBackendFactory('webgpu') !== null) tf.removeBackend('webgpu');
    const instance = new WebGPUBackend(device, adapter.info);
    tf.registerBackend('webgpu', () => instance, 3);
    if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs could not start its WebGPU backend');
    return { tf, backend: tf.backend() as WebGPUBackend, access, failure };
  })();
  return shared;
}

export class WebGpuBackend implements Backend {
  readonly name = 'webgpu';
  readonly ops;
  /** Every tensor this backend made, so that dispose() frees them all. */
  private readonly owned = new Set<Tensor>();
  private readonly ropeTables: RopeTables;

  private constructor(private readonly gpu: TfGpu, private readonly tuning: WebGpuTuning) {
    this.ropeTables = new RopeTables(gpu.tf);
    this.ops = withShapeChecks(createWebGpuOps(gpu.tf, gpu.backend, tuning, this.ropeTables));
  }

  /** `tuning` overrides the device-based kernel choices (tests use it to run every variant on any adapter). */
  static async create(options: BackendOptions = {}, tuning: Partial<WebGpuTuning> = {}): Promise<WebGpuBackend> {
    if ((options.lmHead ?? 'exact') !== 'exact') throw new InvalidOptionError('lmHead', `the webgpu backend keeps the table exact; got '${String(options.lmHead)}'`);
    const access = await gpuAccess();
    if (typeof access === 'string') throw new Error(access);
    const gpu = await tfjsOnGpu(access);
    return new WebGpuBackend(gpu, { nativeDot4: tuning.nativeDot4 ?? access.dot4I8Packed, splitDecode: tuning.splitDecode ?? !access.software });
  }

  info(): BackendInfo {
    const features = ['wgsl', this.tuning.nativeDot4 ? 'dot4I8Packed' : 'dot4-emulated', this.tuning.splitDecode ? 'split-decode' : 'row-decode', `adapter: ${this.gpu.access.description}`];
    if (this.gpu.access.software) features.push('software-adapter');
    return { name: this.name, precision: 'float32', threads: 1, features };
  }

  private keep<T extends Tensor>(t: T): T {
    this.owned.add(t);
    return t;
  }

  /** Repacked word-major, [words, rows] (ternary-wgsl.ts), for coalesced reads. */
  uploadTernary(w: TernaryMatrix): GpuTernary {
    const words = Math.ceil(w.cols / 16);
    const rowBytes = ternaryRowBytes(w.cols);
    const row = new Uint8Array(words * 4);
    const rowWords = new Int32Array(row.buffer);
    const packed = new Int32Array(words * w.rows);
    for (let r = 0; r < w.rows; r++) {
      row.fill(0).set(w.packed.subarray(r * rowBytes, (r + 1) * rowBytes));
      for (let c = 0; c < words; c++) packed[c * w.rows + r] = rowWords[c];
    }
    const tensor = this.keep(this.gpu.tf.tensor2d(packed, [words, w.rows], 'int32'));
    return { rows: w.rows, cols: w.cols, words, scale: w.scale, tensor };
  }

  uploadVector(v: HostTensor<'f32'>): GpuVector {
    return { length: v.data.length, tensor: this.keep(this.gpu.tf.tensor1d(v.data, 'float32')) };
  }

  /**
   * Stored word-major (layer-wgsl.ts): float32 tables as [cols, rows]; 16-bit tables as [ceil(cols / 2), rows]
   * words of two values, widened in the kernels. Nothing is rounded.
   */
  uploadMatrix(m: FloatTable): GpuMatrix {
    if (m.shape.length !== 2) throw new ShapeError('uploadMatrix', '[rows, cols]', `[${m.shape.join(', ')}]`);
    const [rows, cols] = m.shape;
    const tf = this.gpu.tf;
    if (m.dtype === 'f32') {
      const src = m.data as Float32Array;
      const t = new Float32Array(rows * cols);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = src[r * cols + c];
      return { rows, cols, storage: 'f32', words: 0, tensor: this.keep(tf.tensor2d(t, [cols, rows], 'float32')) };
    }
    const words = Math.ceil(cols / 2);
    const src = m.data as Uint16Array;
    const t = new Int32Array(rows * words);
    for (let r = 0; r < rows; r++) {
      for (let w = 0; w < words; w++) {
        const lo = src[r * cols + 2 * w];
        const hi = 2 * w + 1 < cols ? src[r * cols + 2 * w + 1] : 0;
        t[w * rows + r] = lo | (hi << 16);
      }
    }
    return { rows, cols, storage: m.dtype, words, tensor: this.keep(tf.tensor2d(t, [words, rows], 'int32')) };
  }

  allocate(rows: number, cols: number): GpuActivations {
    return new GpuActivations(rows, cols, this.gpu.tf.zeros([rows, cols], 'float32'));
  }

  allocateQuantized(rows: number, cols: number, scheme: ActivationScheme = 'per-token'): GpuQuantized {
    if (scheme === 'q8k' && cols % 256 !== 0) throw new ShapeError('allocateQuantized', 'cols a multiple of 256 for q8k', `${cols}`);
    return new GpuQuantized(rows, cols, scheme);
  }

  release(buffer: ActivationBuffer | QuantizedBuffer): void {
    if (buffer instanceof GpuActivations) buffer.tensor.dispose();
    else if (buffer instanceof GpuQuantized) buffer.dispose();
    else throw new ShapeError('release', 'a buffer of the webgpu backend', (buffer as object)?.constructor?.name ?? String(buffer));
  }

  allocateKvCache(layers: number, capacity: number, kvDim: number): GpuKvCache {
    const tf = this.gpu.tf;
    const make = () => Array.from({ length: layers }, () => tf.zeros([capacity, kvDim], 'float32'));
    return new GpuKvCache(layers, capacity, kvDim, make(), make());
  }

  releaseKvCache(c: KvCacheBuffer): void {
    const cache = kvCache('releaseKvCache', c);
    [...cache.k, ...cache.v].forEach((t) => t.dispose());
    cache.k.length = cache.v.length = 0;
  }

  write(x: ActivationBuffer, data: ArrayLike<number>): void {
    const b = act('write', x);
    if (data.length !== b.rows * b.cols) throw new ShapeError('write', `${b.rows * b.cols} values`, `${data.length}`);
    b.replace(this.gpu.tf.tensor2d(Float32Array.from(data), [b.rows, b.cols], 'float32'));
  }

  async read(x: ActivationBuffer, into?: Float64Array | Float32Array): Promise<Float32Array> {
    const b = act('read', x);
    // Checked before the download, which allocates anyway (tfjs hands out a new array).
    const out = into === undefined ? undefined : readTarget(Float32Array, b.rows * b.cols, into);
    const data = (await b.tensor.data()) as Float32Array;
    this.checkDevice();
    if (out === undefined) return data;
    out.set(data);
    return out;
  }

  private checkDevice(): void {
    const message = this.gpu.failure.message;
    if (message !== null) throw new DeviceError(this.name, message);
  }

  async readQuantized(x: QuantizedBuffer): Promise<{ q: Int8Array; scale: Float32Array }> {
    const b = quantized('readQuantized', x);
    if (b.q === null || b.stats === null) throw new Error('readQuantized: activations were never quantised');
    const words = new Int32Array((await b.q.data()) as Int32Array);
    const bytes = new Int8Array(words.buffer);
    const q = new Int8Array(b.rows * b.cols);
    for (let t = 0; t < b.rows; t++) q.set(bytes.subarray(t * b.words * 4, t * b.words * 4 + b.cols), t * b.cols);
    const stats = (await b.stats.data()) as Float32Array;
    this.checkDevice();
    const scale = new Float32Array(stats.length / 2);
    for (let i = 0; i < scale.length; i++) scale[i] = stats[2 * i + 1];
    return { q, scale };
  }

  dispose(): void {
    for (const t of this.owned) t.dispose();
    this.owned.clear();
    this.ropeTables.dispose();
  }
}

export const webgpuBackend: BackendDescriptor = {
  name: 'webgpu',
  async unavailableReason() {
    const access = await gpuAccess();
    return typeof access === 'string' ? access : null;
  },
  async autoSkipReason() {
    const access = await gpuAccess();
    if (typeof access === 'string') return access;
    return access.software ? `the only adapter is CPU-emulated (${access.description})` : null;
  },
  create: async (options) => WebGpuBackend.create(options),
};
