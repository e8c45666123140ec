/**
 * Splits the WASM kernels' rows across worker threads that share the heap. Each worker instantiates the same module
 * over the same shared memory and waits for commands in a small shared control block. Hand-off is a bounded spin
 * followed by Atomics.wait: a wait/notify round trip alone costs ~50 µs here and a token needs ~60–120 hand-offs,
 * while an unbounded spin collapses when another process shares the cores (../shared reference wasm-kernels.md).
 * The calling thread always takes the first share itself. On a browser's main thread, which may not block, it
 * spins for the (short) rest of the workers' shares instead; an engine run inside a Web Worker sleeps as in Node.
 */
import type { KernelExports } from './module.js';

const SLOT_INTS = 16; // per worker: [0] command seq, [1] done seq, [2] op, [3..15] args
/** The kernels a worker runs, by op number; a share's range is always the last two arguments. */
const SPLIT_KERNELS = ['ternary_dots_rows', 'ternary_products', 'ternary_q8k_rows', 'lm_head_f32', 'lm_head_f16', 'lm_head_f16x', 'lm_head_bf16', 'lm_head_i8', 'attention_heads', 'rmsnorm_rows', 'silu_mul', 'relu_sq_mul', 'add'] as const;
type SplitKernel = (typeof SPLIT_KERNELS)[number];
const OP_EXIT = -1;
/** Written by a worker over the op slot when its share trapped. */
const OP_FAILED = -2;
/**
 * Spins before sleeping: one Atomics.load loop turn takes ~20 ns here, so ~40 µs, about one kernel share of a
 * decode step. Longer (20000 turns, 0.4 ms) kept the waiting thread on a core it should have yielded when another
 * process shares the cores: 700M decode fell to a quarter instead of a half of its idle speed.
 */
const SPIN = 2000;
/**
 * Work below which a kernel runs on the calling thread alone, in multiply-adds (64·4 weights per row group and
 * block; one weight per lm_head element; 2·D per attention score; a few per element for the elementwise ops). A
 * hand-off to a spinning worker costs about a microsecond, so splitting pays from ~65k (roughly 10 µs of work).
 */
const MIN_SPLIT_MACS = 1 << 16;

// The worker's program, as source text so that it runs the same from src/ (vitest), dist/ and a browser bundle.
// The setup and the command loop are shared; only how the worker gets its data and says it is ready differ.
const WORKER_SETUP = `
const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
const kernels = ${JSON.stringify(SPLIT_KERNELS)}.map((name) => k[name]);
const c = new Int32Array(control, index * ${SLOT_INTS * 4}, ${SLOT_INTS});
`;
const WORKER_LOOP = `
let seen = 0;
for (;;) {
  let spins = 0;
  while (Atomics.load(c, 0) === seen) {
    if (++spins > ${SPIN}) { Atomics.wait(c, 0, seen); spins = 0; }
  }
  seen = Atomics.load(c, 0);
  const op = c[2];
  if (op === ${OP_EXIT}) break;
  try {
    kernels[op](c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11], c[12], c[13], c[14], c[15]);
  } catch {
    c[2] = ${OP_FAILED}; // a trap (out-of-bounds access): the calling thread throws instead of waiting forever
  }
  Atomics.store(c, 1, seen);
  Atomics.notify(c, 1);
}
`;
const NODE_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { module, memory, control, index } = workerData;
${WORKER_SETUP}
parentPort.postMessage('ready');
${WORKER_LOOP}
parentPort.close();
`;
/** A dedicated Web Worker: gets the module and the shared memory by message (both clone across threads). */
const BROWSER_WORKER = `
self.onmessage = ({ data: { module, memory, control, index } }) => {
  self.onmessage = null;
  ${WORKER_SETUP}
  self.postMessage('ready');
  ${WORKER_LOOP}
  self.close();
};
`;

interface PoolWorker {
  terminate(): unknown;
}

/** Whether this thread may block in Atomics.wait (a browser's main thread may not; workers and Node may). */
function threadCanBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0); // value differs: returns at once where allowed
    return true;
  } catch {
    return false;
  }
}

/**
 * Node's workers, each awaited until it has its instance (a worker that cannot start rejects here, instead of
 * leaving the calling thread waiting on it forever). They get no execArgv: inherited, --input-type=module breaks
 * the CommonJS worker source, and handed down explicitly, a per-process flag such as --expose-gc makes Node refuse
 * the worker. V8 flags (--experimental-wasm-relaxed-simd among them) are process-wide and reach the workers anyway.
 */
async function startNodeWorkers(count: number, data: (index: number) => object): Promise<PoolWorker[]> {
  const { Worker } = await import('node:worker_threads');
  const workers = Array.from({ length: count }, (_, i) => new Worker(NODE_WORKER, { eval: true, workerData: data(i), execArgv: [] }));
  try {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            w.once('message', () => resolve());
            w.once('error', (e) => reject(new Error(`a worker thread of the wasm backend failed to start: ${e.message}`)));
            w.once('exit', (code) => reject(new Error(`a worker thread of the wasm backend exited at start (code ${code})`)));
          }),
      ),
    );
  } catch (err) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw err;
  }
  for (const w of workers) {
    w.removeAllListeners();
    w.unref(); // never keeps a process alive
  }
  return workers;
}

/**
 * Web Workers start asynchronously, and a worker cannot start while the page's thread is busy, so each one is
 * awaited until it has its instance and says so; only then may the calling thread hand it work and wait.
 */
async function startBrowserWorkers(count: number, data: (index: number) => object): Promise<PoolWorker[]> {
  const url = URL.createObjectURL(new Blob([BROWSER_WORKER], { type: 'text/javascript' }));
  const workers: Worker[] = [];
  try {
    await Promise.all(
      Array.from({ length: count }, (_, i) => {
        const w = new Worker(url, { name: `bitnet-wasm-${i + 1}` });
        workers.push(w);
        return new Promise<void>((resolve, reject) => {
          w.onmessage = () => resolve();
          w.onerror = (e) => reject(new Error(`a Web Worker of the wasm backend failed to start: ${e.message || 'unknown error'}`));
          w.postMessage(data(i));
        });
      }),
    );
  } catch (err) {
    workers.forEach((w) => w.terminate());
    throw err;
  } finally {
    URL.revokeObjectURL(url);
  }
  return workers;
}

export class KernelPool {
  private readonly control: Int32Array;
  private seq = 0;

  private constructor(
    private readonly local: KernelExports,
    private readonly workers: PoolWorker[],
    control: SharedArrayBuffer,
    /** False on a browser's main thread: it spins until the workers finish instead of sleeping. */
    private readonly canBlock: boolean,
  ) {
    this.control = new Int32Array(control);
  }

  /**
   * A pool of `threads` − 1 workers plus the calling thread: worker_threads in Node, Web Workers in browsers
   * (where the page must be cross-origin isolated for shared memory, as loadKernels already requires). Elsewhere,
   * or with threads = 1, the calling thread alone.
   */
  static async create(module: WebAssembly.Module, memory: WebAssembly.Memory, local: KernelExports, threads: number): Promise<KernelPool> {
    const control = new SharedArrayBuffer(Math.max(1, threads - 1) * SLOT_INTS * 4);
    const data = (index: number): object => ({ module, memory, control, index });
    const isNode = typeof process !== 'undefined' && process.versions?.node !== undefined;
    let workers: PoolWorker[] = [];
    if (threads > 1 && isNode) workers = await startNodeWorkers(threads - 1, data);
    else if (threads > 1 && typeof Worker === 'function' && typeof Blob === 'function') workers = await startBrowserWorkers(threads - 1, data);
    return new KernelPool(local, workers, control, threadCanBlock());
  }

  /** The calling thread's kernels, for work too small to split. */
  get kernels(): KernelExports {
    return this.local;
  }

  get threads(): number {
    return this.workers.length + 1;
  }

  /** ternary_dots_rows over all `groups`, split by row groups; `scratch` holds kblocks · 256 bytes per thread. */
  dots(w: number, groups: number, kblocks: number, x: number, T: number, out: number, scratch: number): void {
    this.split('ternary_dots_rows', groups, groups * kblocks * 256 * T, (share) => [w, groups, kblocks, x, T, out, scratch + share * kblocks * 256]);
  }

  /**
   * ternary_products over the joint row groups of `count` matrices described at `desc` (`groups` in all, `macs`
   * multiply-adds), split by row groups; `scratch` holds `scratchStride` bytes per thread (T > 1 only).
   */
  products(desc: number, count: number, groups: number, macs: number, x: number, T: number, scales: number, sums: number, scratch: number, scratchStride: number): void {
    this.split('ternary_products', groups, macs, (share) => [desc, count, x, T, scales, sums, scratch + share * scratchStride]);
  }

  /** ternary_q8k_rows over all `groups` row groups; `dots` holds 16 bytes per thread, `params` β as a float64. */
  q8kProducts(w: number, groups: number, kb: number, q: number, d: number, qsums: number, T: number, out: number, rows: number, params: number, dots: number): void {
    this.split('ternary_q8k_rows', groups, groups * kb * 256 * T, (share) => [w, groups, kb, q, d, qsums, T, out, rows, params, dots + share * 16]);
  }

  /** lm_head over all `V` rows of a table stored as `storage`, split by vocabulary rows. */
  lmHead(storage: 'f32' | 'f16' | 'f16x' | 'bf16', table: number, V: number, d: number, x: number, T: number, out: number): void {
    this.split(`lm_head_${storage}`, V, V * d * T, () => [table, V, d, x, T, out]);
  }

  /** lm_head_i8 over all `V` rows (dPad: the padded row length in bytes). */
  lmHeadI8(table: number, scales: number, V: number, dPad: number, xq: number, xScales: number, T: number, out: number): void {
    this.split('lm_head_i8', V, (V * dPad * T) / 2, () => [table, scales, V, dPad, xq, xScales, T, out]);
  }

  /**
   * attention_heads over all H query heads, split by heads; `scores` is a scratch of `scoreBytes` per thread
   * (each share gets its own).
   */
  attention(q: number, kc: number, vc: number, out: number, T: number, startPos: number, H: number, Hkv: number, D: number, cap: number, scores: number, scoreBytes: number): void {
    const n = startPos + T;
    this.split('attention_heads', H, T * H * n * D * 2, (share) => [q, kc, vc, out, T, startPos, H, Hkv, D, cap, scores + share * scoreBytes]);
  }

  /** rmsnorm_rows over `rows` rows of width K; `params` holds eps as a float64. */
  rmsnorm(x: number, w: number, out: number, rows: number, K: number, params: number): void {
    this.split('rmsnorm_rows', rows, rows * K * 4, () => [x, w, out, K, params]);
  }

  /** An elementwise kernel over n elements; `cost` weighs one element against a multiply-add. */
  elementwise(kernel: 'silu_mul' | 'relu_sq_mul' | 'add', out: number, a: number, b: number, n: number, cost: number): void {
    this.split(kernel, n, n * cost, () => [out, a, b]);
  }

  /** Runs `kernel(...args(share), from, to)` over [0, n) in shares, the first on this thread; `macs` sizes the work. */
  private split(kernel: SplitKernel, n: number, macs: number, args: (share: number) => number[]): void {
    const run = this.local[kernel] as (...a: number[]) => void;
    const shares = macs < MIN_SPLIT_MACS ? 1 : Math.min(this.threads, n);
    if (shares <= 1) {
      run(...args(0), 0, n);
      return;
    }
    const bound = (i: number): number => Math.floor((n * i) / shares);
    const seq = ++this.seq;
    const c = this.control;
    const op = SPLIT_KERNELS.indexOf(kernel);
    for (let i = 1; i < shares; i++) {
      const base = (i - 1) * SLOT_INTS;
      c[base + 2] = op;
      c.set([...args(i), bound(i), bound(i + 1)], base + 3);
      Atomics.store(c, base, seq);
      Atomics.notify(c, base);
    }
    run(...args(0), 0, bound(1));
    let failed = 0;
    for (let i = 1; i < shares; i++) {
      const done = (i - 1) * SLOT_INTS + 1;
      let spins = 0;
      for (let v = Atomics.load(c, done); v !== seq; v = Atomics.load(c, done)) {
        if (++spins > SPIN && this.canBlock) {
          Atomics.wait(c, done, v);
          spins = 0;
        }
      }
      if (c[done + 1] === OP_FAILED) failed = i;
    }
    if (failed > 0) throw new RangeError(`wasm kernel ${kernel} trapped on worker thread ${failed} (an out-of-bounds heap access)`);
  }

  dispose(): void {
    const c = this.control;
    const seq = ++this.seq;
    this.workers.forEach((w, i) => {
      c[i * SLOT_INTS + 2] = OP_EXIT;
      Atomics.store(c, i * SLOT_INTS, seq);
      Atomics.notify(c, i * SLOT_INTS);
      void w.terminate();
    });
    this.workers.length = 0;
  }
}
