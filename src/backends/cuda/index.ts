/**
 * The `cuda` backend: our kernels (src/kernels/cuda/bitnet.cu) compiled by NVRTC for the device on first use (kept on disk for later processes: kernel-cache.ts) and
 * driven through the CUDA driver API from TypeScript (driver.ts, koffi). Weights are uploaded once; activations and
 * the KV cache live on the device; every op is one kernel launch (or a device copy) on the default stream, and
 * only reads synchronise. Offered first by 'auto' when libcuda and NVRTC load and a device exists.
 */
import { InvalidOptionError, ShapeError, UnsupportedOpError } from '../../errors.js';
import { ternaryRowBytes } from '../../formats/ternary-rows.js';
import type { FloatTable, TernaryMatrix } from '../../model/weights.js';
import type { Tensor } from '../../tensor.js';
import type { Backend, BackendDescriptor, BackendInfo, BackendOptions } from '../backend.js';
import { readTarget, withShapeChecks } from '../checks.js';
import { ropeCosSinRows } from '../rope-cos-sin.js';
import type { ActivationBuffer, ActivationScheme, BackendOps, KvCacheBuffer, MatrixHandle, QuantizedBuffer, TernaryHandle, VectorHandle } from '../ops.js';
import { ATTENTION_MAX_HEAD_DIM, ATTENTION_TARGET_BLOCKS, planAttention } from './attention-plan.js';
import { f32, i32, ptr, type CudaDriver, type DevicePtr, type KernelArg } from './driver.js';
import type { KernelCacheResult } from './kernel-cache.js';
import { openCuda } from './open.js';
import { PendingLaunches, PRE, type Pre } from './pending.js';
import { BASE_KERNELS, type KernelName } from './sources.js';
import { StepLaunches } from './step-launches.js';

/** The kernels of bitnet.cu, every one of which the backend needs. */
export const KERNELS = BASE_KERNELS;

class CudaActivations implements ActivationBuffer {
  constructor(readonly rows: number, readonly cols: number, readonly ptr: DevicePtr) {}
}
class CudaQuantized implements QuantizedBuffer {
  constructor(readonly rows: number, readonly cols: number, readonly scheme: ActivationScheme, readonly paddedCols: number, readonly q: DevicePtr, readonly scale: DevicePtr) {}
}
class CudaKvCache implements KvCacheBuffer {
  constructor(readonly layers: number, readonly capacity: number, readonly kvDim: number, readonly k: DevicePtr[], readonly v: DevicePtr[]) {}
}
interface CudaTernary extends TernaryHandle { readonly words: number; readonly scale: number; readonly ptr: DevicePtr }
interface CudaMatrix extends MatrixHandle { readonly storage: 0 | 1 | 2; readonly ptr: DevicePtr }
interface CudaVector extends VectorHandle { readonly ptr: DevicePtr }

function own<T>(op: string, b: unknown, cls: new (...a: never[]) => T, what: string): T {
  if (!(b instanceof cls)) throw new ShapeError(op, `a cuda-backend ${what}`, (b as object)?.constructor?.name ?? String(b));
  return b;
}

/** A row of K codes or int8 activations on the device: padded to whole 64-code steps (zeros; bitnet.cu's header). */
const paddedCodes = (K: number) => Math.ceil(K / 64) * 64;

/** Prefill calls of at least this many tokens take the tensor-core GEMM; fewer, the warp-per-row product. */
export const GEMM_MIN_TOKENS = 32;
/**
 * Prompt tokens a prefill call takes (BackendInfo.prefillChunk): the GEMM's grid is 64-token tiles × 64-row tiles,
 * and at the engine's default of 256 tokens a 2560-row product is 160 blocks — barely more than an H100/H200 has
 * multiprocessors (132); 1,024 tokens give 640. Activations for 1,024 tokens of 2B-4T are ~100 MB.
 */
const CUDA_PREFILL_CHUNK = 1024;

export class CudaBackend implements Backend {
  readonly name = 'cuda';
  readonly ops: BackendOps;
  private readonly allocations = new Set<DevicePtr>();
  private readonly ropeTables = new Map<string, { positions: number; ptr: DevicePtr }>();
  private ids: { ptr: DevicePtr; capacity: number } | null = null;
  private argmaxOut: { ptr: DevicePtr; capacity: number } | null = null;
  /** attention.cu's partial results and per-row counters (zeroed; the kernel leaves them at 0), when a call splits. */
  private attentionPart: { ptr: DevicePtr; capacity: number } | null = null;
  private attentionDone: { ptr: DevicePtr; capacity: number } | null = null;
  private readonly pending: PendingLaunches;
  private readonly steps: StepLaunches;

  private constructor(
    private readonly driver: CudaDriver,
    private readonly kernels: Map<string, unknown>,
    /** Where this process's kernels came from: the disk cache ('hit'), NVRTC ('compiled', 'uncached'), or a test. */
    private readonly kernelSource: KernelCacheResult['source'] | 'given' = 'given',
    fusion = process.env.BITNET_CUDA_FUSION !== 'off',
    private readonly gemm = kernels.has('ternary_gemm') ? 'tensor-core GEMM' : 'no tensor-core GEMM',
    private readonly attentionBlocks = ATTENTION_TARGET_BLOCKS,
    graphs = process.env.BITNET_CUDA_GRAPHS !== 'off',
  ) {
    this.steps = new StepLaunches(driver, (bytes) => this.alloc(bytes), graphs);
    const launch = (name: KernelName, grid: number, block: [number, number], shared: number, args: KernelArg[]) => this.launch(name, grid, block, shared, args);
    this.pending = new PendingLaunches(launch, fusion, kernels.has('ternary_gemm') ? GEMM_MIN_TOKENS : null);
    this.ops = withShapeChecks(this.createOps());
  }

  /**
   * A backend over a given driver and compiled kernels (tests stand a fake driver, or the CPU emulator, in for CUDA).
   * `fusion: false` launches every op at once instead of fusing chains (pending.ts); the default follows
   * BITNET_CUDA_FUSION (on unless 'off'). `attentionBlocks` changes how many blocks an attention call is split
   * toward (attention-plan.ts), so that tests can make a block walk many chunks or combine few spans. `graphs`
   * replays repeated steps as CUDA graphs (step-launches.ts); the default follows BITNET_CUDA_GRAPHS (on unless 'off').
   */
  static withDriver(driver: CudaDriver, kernels: Map<string, unknown>, options: { fusion?: boolean; attentionBlocks?: number; graphs?: boolean } = {}): CudaBackend {
    return new CudaBackend(driver, kernels, 'given', options.fusion, undefined, options.attentionBlocks, options.graphs);
  }

  /** Steps run launch by launch, captured as a graph, and replayed (step-launches.ts; for tests and benchmarks). */
  get stepCounts(): Readonly<StepLaunches['counts']> {
    return this.steps.counts;
  }

  static async create(options: BackendOptions = {}): Promise<CudaBackend> {
    if ((options.lmHead ?? 'exact') !== 'exact') throw new InvalidOptionError('lmHead', `the cuda backend keeps the table exact; got '${String(options.lmHead)}'`);
    const { driver, kernels, kernelSource, gemm } = await openCuda();
    return new CudaBackend(driver, kernels, kernelSource, undefined, gemm);
  }

  info(): BackendInfo {
    const features = [`device: ${this.driver.deviceName}`, `sm_${this.driver.computeCapability}`, 'dp4a', 'nvrtc', `kernels: ${this.kernelSource}`];
    const all = [...features, this.pending.enabled ? 'fused launches' : 'unfused launches', this.gemm, this.steps.describe()];
    return { name: this.name, precision: 'float32', threads: 1, features: all, prefillChunk: CUDA_PREFILL_CHUNK };
  }

  private alloc(bytes: number): DevicePtr {
    const p = this.driver.alloc(bytes);
    this.allocations.add(p);
    return p;
  }

  private launch(name: KernelName, grid: number, block: [number, number], shared: number, args: KernelArg[]): void {
    this.steps.launch(this.kernels.get(name), Math.max(1, grid), block, shared, args);
  }

  /**
   * Issues everything held (fusable launches, then the step's launches): before a read, a write or a free. An
   * allocation needs none: no held launch can refer to memory that did not exist (freeing issues them first).
   */
  private flush(): void {
    this.pending.flush();
    this.steps.flush();
  }

  /** Frees device memory: after the step that may use it has been issued, and with no graph left pointing at it. */
  private freeDevice(p: DevicePtr): void {
    if (!this.allocations.delete(p)) return;
    this.flush();
    this.steps.forget();
    this.driver.free(p);
  }

  /** The device address holding `startPos` for this step's kernels (step-launches.ts). */
  private position(startPos: number): DevicePtr {
    if (!this.steps.hasRoom(startPos)) this.flush();
    return this.steps.position(startPos);
  }

  /**
   * Rows padded to a multiple of 4 u32 words of 16 codes (64 codes, 16 bytes: the products load a row 16 bytes at a
   * time): the ternary-rows bytes with zero bytes after each row. Quantised rows are padded alike (allocateQuantized).
   */
  uploadTernary(w: TernaryMatrix): CudaTernary {
    const words = paddedCodes(w.cols) / 16;
    const rowBytes = ternaryRowBytes(w.cols);
    const padded = new Uint8Array(w.rows * words * 4);
    for (let r = 0; r < w.rows; r++) padded.set(w.packed.subarray(r * rowBytes, (r + 1) * rowBytes), r * words * 4);
    const p = this.alloc(padded.byteLength);
    this.driver.upload(p, padded);
    return { rows: w.rows, cols: w.cols, words, scale: w.scale, ptr: p };
  }

  uploadVector(v: Tensor<'f32'>): CudaVector {
    const p = this.alloc(v.data.byteLength);
    this.driver.upload(p, v.data);
    return { length: v.data.length, ptr: p };
  }

  /** Kept in the checkpoint's precision (16-bit tables widened exactly in the kernels). */
  uploadMatrix(m: FloatTable): CudaMatrix {
    if (m.shape.length !== 2) throw new ShapeError('uploadMatrix', '[rows, cols]', `[${m.shape.join(', ')}]`);
    const p = this.alloc(m.data.byteLength);
    this.driver.upload(p, m.data);
    return { rows: m.shape[0], cols: m.shape[1], storage: m.dtype === 'f32' ? 0 : m.dtype === 'f16' ? 1 : 2, ptr: p };
  }

  allocate(rows: number, cols: number): CudaActivations {
    const p = this.alloc(rows * cols * 4);
    this.driver.zero(p, rows * cols * 4);
    return new CudaActivations(rows, cols, p);
  }

  allocateQuantized(rows: number, cols: number, scheme: ActivationScheme = 'per-token'): CudaQuantized {
    if (scheme === 'q8k' && cols % 256 !== 0) throw new ShapeError('allocateQuantized', 'cols a multiple of 256 for q8k', `${cols}`);
    const paddedCols = paddedCodes(cols);
    const scales = scheme === 'q8k' ? rows * (cols / 256) : rows;
    const q = this.alloc(rows * paddedCols);
    this.driver.zero(q, rows * paddedCols);
    return new CudaQuantized(rows, cols, scheme, paddedCols, q, this.alloc(scales * 8));
  }

  release(buffer: ActivationBuffer | QuantizedBuffer): void {
    const ptrs = buffer instanceof CudaActivations ? [buffer.ptr] : buffer instanceof CudaQuantized ? [buffer.q, buffer.scale] : null;
    if (ptrs === null) throw new ShapeError('release', 'a buffer of the cuda backend', (buffer as object)?.constructor?.name ?? String(buffer));
    for (const p of ptrs) this.freeDevice(p);
  }

  allocateKvCache(layers: number, capacity: number, kvDim: number): CudaKvCache {
    const make = () => Array.from({ length: layers }, () => this.alloc(capacity * kvDim * 4));
    return new CudaKvCache(layers, capacity, kvDim, make(), make());
  }

  releaseKvCache(c: KvCacheBuffer): void {
    const cache = own('releaseKvCache', c, CudaKvCache, 'KV cache');
    for (const p of [...cache.k, ...cache.v]) this.freeDevice(p);
  }

  write(x: ActivationBuffer, data: ArrayLike<number>): void {
    this.flush();
    const b = own('write', x, CudaActivations, 'activation buffer');
    if (data.length !== b.rows * b.cols) throw new ShapeError('write', `${b.rows * b.cols} values`, `${data.length}`);
    this.driver.upload(b.ptr, Float32Array.from(data));
  }

  async read(x: ActivationBuffer, into?: Float64Array | Float32Array): Promise<Float32Array> {
    this.flush();
    const b = own('read', x, CudaActivations, 'activation buffer');
    const out = readTarget(Float32Array, b.rows * b.cols, into);
    this.driver.download(out, b.ptr);
    return out;
  }

  /** One launch per call, and an integer a row read back: greedy decoding's step (bitnet.cu argmax_rows). */
  async argmaxRows(x: ActivationBuffer): Promise<Int32Array> {
    this.pending.flush();
    const b = own('argmaxRows', x, CudaActivations, 'activation buffer');
    if (this.argmaxOut === null || this.argmaxOut.capacity < b.rows) {
      if (this.argmaxOut !== null) this.freeDevice(this.argmaxOut.ptr);
      this.argmaxOut = { ptr: this.alloc(Math.max(b.rows, 16) * 4), capacity: Math.max(b.rows, 16) };
    }
    // The argmax ends the step: with graphs on, a decode step's graph includes it.
    this.launch('argmax_rows', b.rows, [1024, 1], 0, [ptr(b.ptr), i32(b.cols), ptr(this.argmaxOut.ptr)]);
    this.steps.flush();
    const out = new Int32Array(b.rows);
    this.driver.download(out, this.argmaxOut.ptr);
    return out;
  }

  async readQuantized(x: QuantizedBuffer): Promise<{ q: Int8Array; scale: Float64Array }> {
    this.flush();
    const b = own('readQuantized', x, CudaQuantized, 'quantized buffer');
    const padded = new Int8Array(b.rows * b.paddedCols);
    this.driver.download(padded, b.q);
    const q = new Int8Array(b.rows * b.cols);
    for (let t = 0; t < b.rows; t++) q.set(padded.subarray(t * b.paddedCols, t * b.paddedCols + b.cols), t * b.cols);
    const scale = new Float64Array(b.scheme === 'q8k' ? b.rows * (b.cols / 256) : b.rows);
    this.driver.download(scale, b.scale);
    return { q, scale };
  }

  dispose(): void {
    this.flush();
    this.steps.forget();
    for (const p of this.allocations) this.driver.free(p);
    this.allocations.clear();
    this.ropeTables.clear();
    this.ids = null;
    this.argmaxOut = null;
    this.attentionPart = null;
    this.attentionDone = null;
  }

  /** `have` if it holds `count` elements of 4 bytes, else a new allocation of at least that many (zeroed if asked). */
  private scratch(have: { ptr: DevicePtr; capacity: number } | null, count: number, zero: boolean): { ptr: DevicePtr; capacity: number } {
    if (have !== null && have.capacity >= count) return have;
    if (have !== null) this.freeDevice(have.ptr);
    const capacity = Math.max(count, 2 * (have?.capacity ?? 0), 256);
    const p = this.alloc(capacity * 4);
    if (zero) this.driver.zero(p, capacity * 4);
    return { ptr: p, capacity };
  }

  /** The RoPE table (rope-cos-sin.ts) of (headDim, base) on the device, covering positions [0, positions). */
  private ropeTable(headDim: number, base: number, positions: number): DevicePtr {
    const key = `${headDim}/${base}`;
    const have = this.ropeTables.get(key);
    if (have !== undefined && have.positions >= positions) return have.ptr;
    const n = Math.max(positions, 2 * (have?.positions ?? 0), 256);
    const data = ropeCosSinRows(headDim, base, n);
    this.flush(); // a held rotation may read the table about to be replaced
    if (have !== undefined) this.freeDevice(have.ptr);
    const p = this.alloc(data.byteLength);
    this.driver.upload(p, data);
    this.ropeTables.set(key, { positions: n, ptr: p });
    return p;
  }

  private createOps(): BackendOps {
    const act = (op: string, b: ActivationBuffer) => own(op, b, CudaActivations, 'activation buffer');
    const blocks = (n: number) => Math.ceil(n / 256);
    const pending = this.pending;
    const elementwise = (op: string, pre: Exclude<Pre, 0>, out: ActivationBuffer, a: ActivationBuffer, b: ActivationBuffer) => {
      const o = act(op, out);
      pending.elementwise(pre, act(op, a).ptr, act(op, b).ptr, o.ptr, o.rows, o.cols);
    };
    // Ops that fuse go through `pending`; every other op first issues whatever it holds (their inputs may be there).
    const ops: BackendOps = {
      embed: (a) => {
        this.flush(); // the token ids are about to be overwritten: every launch that reads them goes first
        const out = act('embed', a.out);
        const table = a.table as CudaMatrix;
        const T = a.tokenIds.length;
        if (this.ids === null || this.ids.capacity < T) {
          if (this.ids !== null) this.freeDevice(this.ids.ptr);
          this.ids = { ptr: this.alloc(Math.max(T, 256) * 4), capacity: Math.max(T, 256) };
        }
        this.driver.upload(this.ids.ptr, Int32Array.from(a.tokenIds));
        this.launch('embed', blocks(T * table.cols), [256, 1], 0, [ptr(table.ptr), i32(table.storage), i32(table.cols), ptr(this.ids.ptr), i32(T), ptr(out.ptr)]);
      },
      rmsnorm: (a) => {
        const x = act('rmsnorm', a.x);
        pending.rmsnorm(x.ptr, (a.weight as CudaVector).ptr, a.eps, act('rmsnorm', a.out).ptr, x.rows, x.cols);
      },
      quantizeActivations: (a) => {
        const out = own('quantizeActivations', a.out, CudaQuantized, 'quantized buffer');
        const x = act('quantizeActivations', a.x);
        if (out.scheme === 'per-token') return pending.quantizePerToken(x.ptr, out, x.cols);
        pending.flush();
        this.launch('quantize_q8k', x.rows * (x.cols / 256), [256, 1], 0, [ptr(x.ptr), i32(x.cols), i32(out.paddedCols), ptr(out.q), ptr(out.scale)]);
      },
      ternaryMatmul: (a) => {
        const out = act('ternaryMatmul', a.out);
        const x = own('ternaryMatmul', a.x, CudaQuantized, 'quantized buffer');
        const w = a.w as CudaTernary;
        if (x.scheme === 'per-token') return pending.product(x, { w: w.ptr, rows: w.rows, scale: w.scale, y: out.ptr });
        pending.flush();
        this.launch('ternary_float', Math.ceil(w.rows / 8), [32, 8], 0, [ptr(w.ptr), i32(w.rows), i32(w.cols), i32(w.words), ptr(0n), ptr(x.q), i32(x.paddedCols), ptr(x.scale), i32(x.rows), f32(w.scale), ptr(out.ptr)]);
      },
      ternaryMatmulFloat: (a) => {
        pending.flush();
        const out = act('ternaryMatmulFloat', a.out);
        const x = act('ternaryMatmulFloat', a.x);
        const w = a.w as CudaTernary;
        this.launch('ternary_float', Math.ceil(w.rows / 8), [32, 8], 0, [ptr(w.ptr), i32(w.rows), i32(w.cols), i32(w.words), ptr(x.ptr), ptr(0n), i32(0), ptr(0n), i32(x.rows), f32(w.scale), ptr(out.ptr)]);
      },
      rope: (a) => {
        const x = act('rope', a.x);
        const table = this.ropeTable(a.headDim, a.theta, a.startPos + x.rows);
        pending.rope({ x: x.ptr, heads: x.cols / a.headDim, rows: x.rows, headDim: a.headDim, startPos: a.startPos, pos: this.position(a.startPos), table });
      },
      attention: (a) => {
        const op = 'attention';
        const [out, q, k, v] = [act(op, a.out), act(op, a.q), act(op, a.k), act(op, a.v)];
        const cache = own(op, a.cache, CudaKvCache, 'KV cache');
        const T = q.rows;
        if (a.headDim > ATTENTION_MAX_HEAD_DIM) {
          pending.flush();
          throw new UnsupportedOpError(this.name, op, `head dimension ${a.headDim} exceeds the ${ATTENTION_MAX_HEAD_DIM} one attention block keeps`);
        }
        // Spans of keys split a call with too few blocks (decode) over more of them (attention-plan.ts). Scratch
        // that grows is replaced before anything of this call is held (freeing the old ends the step).
        const plan = planAttention(T, a.numHeads, a.numKvHeads, a.headDim, a.startPos, this.attentionBlocks);
        let [part, done] = [0n, 0n];
        if (plan.spans > 1) {
          this.attentionPart = this.scratch(this.attentionPart, plan.partFloats, false);
          this.attentionDone = this.scratch(this.attentionDone, plan.counters, true);
          [part, done] = [this.attentionPart.ptr, this.attentionDone.ptr];
        }
        // k and v go to positions [startPos, startPos + T): with the held rotations of q and k in one launch, or by
        // one launch of their own. Keys are cached transposed ([kvDim][capacity], attention.cu), values as rows.
        const pos = this.position(a.startPos);
        const append = { k: k.ptr, v: v.ptr, kvHeads: a.numKvHeads, kCache: cache.k[a.layer], vCache: cache.v[a.layer], capacity: cache.capacity, at: a.startPos };
        if (!pending.appendAfterRope(q.ptr, append)) {
          const n = T * cache.kvDim;
          this.launch('kv_append', blocks(n), [256, 1], 0, [ptr(k.ptr), ptr(v.ptr), ptr(append.kCache), ptr(append.vCache), i32(n), i32(cache.kvDim), i32(cache.capacity), ptr(pos)]);
        }
        this.launch(op, plan.blocks, [plan.threads, 1], 0, [
          ptr(q.ptr), ptr(cache.k[a.layer]), ptr(cache.v[a.layer]), ptr(out.ptr), i32(T), i32(a.numHeads), i32(a.numKvHeads), i32(a.headDim), ptr(pos), f32(1 / Math.sqrt(a.headDim)), i32(cache.capacity),
          i32(plan.span), i32(plan.spans), ptr(part), ptr(done),
        ]);
      },
      siluMul: (a) => elementwise('siluMul', PRE.siluMul, a.out, a.gate, a.up),
      reluSqMul: (a) => elementwise('reluSqMul', PRE.reluSqMul, a.out, a.gate, a.up),
      add: (a) => elementwise('add', PRE.add, a.out, a.a, a.b),
      lmHead: (a) => {
        pending.flush();
        const out = act('lmHead', a.out);
        const table = a.table as CudaMatrix;
        this.launch('lm_head', Math.ceil(table.rows / 8), [32, 8], 0, [ptr(table.ptr), i32(table.storage), i32(table.rows), i32(table.cols), ptr(act('lmHead', a.x).ptr), i32(a.fromRow), i32(out.rows), ptr(out.ptr)]);
      },
    };
    return ops;
  }
}

export const cudaBackend: BackendDescriptor = {
  name: 'cuda',
  async unavailableReason() {
    try {
      await openCuda();
      return null;
    } catch (err) {
      const message = (err as Error).message;
      if (message.startsWith('no CUDA device') || message.startsWith('NVRTC')) return message;
      return `no CUDA device (${message.split('\n')[0]})`;
    }
  },
  create: async (options) => CudaBackend.create(options),
};

