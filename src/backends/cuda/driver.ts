/**
 * The CUDA driver API and NVRTC (nvrtc.ts), loaded at run time through koffi: nothing is compiled at install and
 * nothing happens on machines without CUDA (loading fails, and the backend says why). `CudaDriver` is the small
 * surface the backend uses, so that tests can stand a fake in for it.
 */
import { CudaError, findLibrary, loadKoffi } from './koffi-library.js';
import { openNvrtc } from './nvrtc.js';

export { CudaError } from './koffi-library.js';

export type DevicePtr = bigint;
export type KernelArg = { readonly type: 'ptr'; readonly value: DevicePtr } | { readonly type: 'i32' | 'f32'; readonly value: number };
/** Kernel arguments by their C type: a device pointer, an int, a float. */
export const ptr = (value: DevicePtr): KernelArg => ({ type: 'ptr', value });
export const i32 = (value: number): KernelArg => ({ type: 'i32', value });
export const f32 = (value: number): KernelArg => ({ type: 'f32', value });

export interface CudaDriver {
  readonly deviceName: string;
  /** e.g. 90 for sm_90. */
  readonly computeCapability: number;
  alloc(bytes: number): DevicePtr;
  free(ptr: DevicePtr): void;
  upload(dst: DevicePtr, src: ArrayBufferView): void;
  download(dst: ArrayBufferView, src: DevicePtr): void;
  copy(dst: DevicePtr, src: DevicePtr, bytes: number): void;
  zero(ptr: DevicePtr, bytes: number): void;
  /** Which NVRTC library compiles (its file and version), part of the compiled-kernel cache key. */
  readonly compilerId: string;
  /** Compiles CUDA C++ for this device with NVRTC: the cubin. */
  compile(source: string, name: string): Uint8Array;
  /** Loads a cubin from compile() and returns its kernels by name; throws CudaError if the driver refuses it. */
  loadModule(cubin: Uint8Array, kernels: readonly string[]): Map<string, unknown>;
  launch(kernel: unknown, grid: number, block: [number, number], sharedBytes: number, args: readonly KernelArg[]): void;
  synchronize(): void;
  /** CUDA graphs, where the driver has them (step-launches.ts replays a decode step as one). */
  readonly graphs?: CudaGraphs;
}

/** Launches captured once and replayed with one call (the driver API's stream capture and graph launch). */
export interface CudaGraphs {
  /** The launches `record` makes, captured (not run) into an instantiated graph. */
  capture(record: () => void): unknown;
  /** Runs a captured graph on the default stream, after whatever was issued before it. */
  launch(exec: unknown): void;
  destroy(exec: unknown): void;
}

/** Opens device 0 through libcuda and NVRTC; throws CudaError saying what is missing. */
export async function openCudaDriver(): Promise<CudaDriver> {
  const koffi = await loadKoffi();
  const cu = findLibrary(koffi, ['libcuda.so.1', 'libcuda.so', 'nvcuda.dll']).lib;
  const nvrtc = await openNvrtc(koffi);
  const f = (lib: typeof cu, sig: string) => lib.func(sig);
  const api = {
    cuInit: f(cu, 'int cuInit(unsigned int flags)'),
    cuDeviceGetCount: f(cu, 'int cuDeviceGetCount(_Out_ int *count)'),
    cuDeviceGet: f(cu, 'int cuDeviceGet(_Out_ int *dev, int ordinal)'),
    cuDeviceGetName: f(cu, 'int cuDeviceGetName(_Out_ char *name, int len, int dev)'),
    cuDeviceGetAttribute: f(cu, 'int cuDeviceGetAttribute(_Out_ int *value, int attrib, int dev)'),
    cuDevicePrimaryCtxRetain: f(cu, 'int cuDevicePrimaryCtxRetain(_Out_ void **ctx, int dev)'),
    cuCtxSetCurrent: f(cu, 'int cuCtxSetCurrent(void *ctx)'),
    cuMemAlloc: f(cu, 'int cuMemAlloc_v2(_Out_ uint64_t *dptr, size_t bytes)'),
    cuMemFree: f(cu, 'int cuMemFree_v2(uint64_t dptr)'),
    cuMemcpyHtoD: f(cu, 'int cuMemcpyHtoD_v2(uint64_t dst, const void *src, size_t bytes)'),
    cuMemcpyDtoH: f(cu, 'int cuMemcpyDtoH_v2(_Out_ void *dst, uint64_t src, size_t bytes)'),
    cuMemcpyDtoD: f(cu, 'int cuMemcpyDtoD_v2(uint64_t dst, uint64_t src, size_t bytes)'),
    cuMemsetD8: f(cu, 'int cuMemsetD8_v2(uint64_t dst, unsigned char value, size_t n)'),
    cuModuleLoadData: f(cu, 'int cuModuleLoadData(_Out_ void **mod, const void *image)'),
    cuModuleGetFunction: f(cu, 'int cuModuleGetFunction(_Out_ void **fn, void *mod, const char *name)'),
    // params as raw addresses (uint64_t *): see launch() for why.
    cuLaunchKernel: f(cu, 'int cuLaunchKernel(void *f, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx, unsigned int by, unsigned int bz, unsigned int shmem, void *stream, uint64_t *params, void *extra)'),
    cuCtxSynchronize: f(cu, 'int cuCtxSynchronize()'),
  };
  const ck = (rc: number, what: string) => {
    if (rc !== 0) throw new CudaError(`${what} failed with CUDA error ${rc}`);
  };
  ck(api.cuInit(0), 'cuInit');
  const count = [0];
  ck(api.cuDeviceGetCount(count), 'cuDeviceGetCount');
  if (count[0] === 0) throw new CudaError('no CUDA device');
  const dev = [0];
  ck(api.cuDeviceGet(dev, 0), 'cuDeviceGet');
  const nameBuf = Buffer.alloc(256);
  ck(api.cuDeviceGetName(nameBuf, 256, dev[0]), 'cuDeviceGetName');
  const major = [0];
  const minor = [0];
  ck(api.cuDeviceGetAttribute(major, 75, dev[0]), 'compute capability'); // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
  ck(api.cuDeviceGetAttribute(minor, 76, dev[0]), 'compute capability');
  const ctx = [null];
  ck(api.cuDevicePrimaryCtxRetain(ctx, dev[0]), 'cuDevicePrimaryCtxRetain');
  ck(api.cuCtxSetCurrent(ctx[0]), 'cuCtxSetCurrent');
  const computeCapability = major[0] * 10 + minor[0];
  // Launch arguments live in one off-heap buffer (its memory never moves), 8 bytes a slot; `params` holds each
  // slot's address. cuLaunchKernel copies the values during the call, so the buffer is reused by every launch.
  // Building typed arrays and koffi pointers per argument instead cost ~19 µs a launch on the H100's host (~1 µs so).
  const MAX_ARGS = 24;
  const argBuffer = Buffer.allocUnsafeSlow(8 * MAX_ARGS);
  const argView = new DataView(argBuffer.buffer, argBuffer.byteOffset, argBuffer.byteLength);
  const argBase = koffi.address(argBuffer) as bigint;
  // Slot i's address never changes: `params` is filled once, and a launch only writes the values.
  const params = BigUint64Array.from({ length: MAX_ARGS + 1 }, (_, i) => (i < MAX_ARGS ? argBase + BigInt(8 * i) : 0n));
  /** While a graph is captured, launches go to this stream (captured, not run); otherwise to the default stream. */
  let captureStream: unknown = null;
  const graphs = openGraphs(cu, ck, (stream) => (captureStream = stream));

  return {
    deviceName: nameBuf.toString('utf8').replace(/\0.*$/s, ''),
    computeCapability,
    alloc(bytes) {
      const p = [0n];
      ck(api.cuMemAlloc(p, Math.max(bytes, 4)), `cuMemAlloc(${bytes})`);
      return BigInt(p[0]);
    },
    free: (ptr) => ck(api.cuMemFree(ptr), 'cuMemFree'),
    upload: (dst, src) => ck(api.cuMemcpyHtoD(dst, src, src.byteLength), 'cuMemcpyHtoD'),
    download: (dst, src) => ck(api.cuMemcpyDtoH(dst, src, dst.byteLength), 'cuMemcpyDtoH'),
    copy: (dst, src, bytes) => ck(api.cuMemcpyDtoD(dst, src, bytes), 'cuMemcpyDtoD'),
    zero: (ptr, bytes) => ck(api.cuMemsetD8(ptr, 0, bytes), 'cuMemsetD8'),
    compilerId: nvrtc.id,
    compile: (source, name) => nvrtc.compile(source, name, computeCapability),
    loadModule(cubin, kernels) {
      const mod = [null];
      ck(api.cuModuleLoadData(mod, cubin), 'cuModuleLoadData');
      const out = new Map<string, unknown>();
      for (const k of kernels) {
        const fn = [null];
        ck(api.cuModuleGetFunction(fn, mod[0], k), `cuModuleGetFunction(${k})`);
        out.set(k, fn[0]);
      }
      return out;
    },
    launch(kernel, grid, block, sharedBytes, args) {
      if (args.length > MAX_ARGS) throw new CudaError(`a kernel takes at most ${MAX_ARGS} arguments here, got ${args.length}`);
      for (let i = 0; i < args.length; i++) {
        const a = args[i];
        if (a.type === 'ptr') argView.setBigUint64(8 * i, a.value, true);
        else if (a.type === 'i32') argView.setInt32(8 * i, a.value, true);
        else argView.setFloat32(8 * i, a.value, true);
      }
      ck(api.cuLaunchKernel(kernel, grid, 1, 1, block[0], block[1], 1, sharedBytes, captureStream, params, null), 'cuLaunchKernel');
    },
    synchronize: () => ck(api.cuCtxSynchronize(), 'cuCtxSynchronize'),
    graphs,
  };
}

/**
 * The graph calls, or undefined where the driver lacks them (before CUDA 11.4). Capture runs on a stream of its own
 * (the default stream cannot be captured), created non-blocking so that capturing never waits on other work; the
 * captured graph is launched on the default stream, so it stays in order with every other launch and copy.
 */
function openGraphs(cu: { func(sig: string): (...a: unknown[]) => number }, ck: (rc: number, what: string) => void, setCaptureStream: (s: unknown) => void): CudaGraphs | undefined {
  let g: Record<'create' | 'begin' | 'end' | 'instantiate' | 'launch' | 'destroyExec' | 'destroyGraph', (...a: unknown[]) => number>;
  try {
    g = {
      create: cu.func('int cuStreamCreate(_Out_ void **stream, unsigned int flags)'),
      begin: cu.func('int cuStreamBeginCapture_v2(void *stream, int mode)'),
      end: cu.func('int cuStreamEndCapture(void *stream, _Out_ void **graph)'),
      instantiate: cu.func('int cuGraphInstantiateWithFlags(_Out_ void **exec, void *graph, unsigned long long flags)'),
      launch: cu.func('int cuGraphLaunch(void *exec, void *stream)'),
      destroyExec: cu.func('int cuGraphExecDestroy(void *exec)'),
      destroyGraph: cu.func('int cuGraphDestroy(void *graph)'),
    };
  } catch {
    return undefined;
  }
  let stream: unknown = null;
  return {
    capture(record) {
      if (stream === null) {
        const s = [null];
        ck(g.create(s, 1), 'cuStreamCreate'); // CU_STREAM_NON_BLOCKING
        stream = s[0];
      }
      ck(g.begin(stream, 2), 'cuStreamBeginCapture'); // CU_STREAM_CAPTURE_MODE_RELAXED
      const graph = [null];
      let recorded = false;
      setCaptureStream(stream);
      try {
        record();
        recorded = true;
      } finally {
        setCaptureStream(null);
        const rc = g.end(stream, graph); // always ends the capture, even after a failed launch
        if (!recorded && graph[0] !== null) g.destroyGraph(graph[0]);
        if (rc !== 0 && recorded) throw new CudaError(`cuStreamEndCapture failed with CUDA error ${rc}`);
      }
      const exec = [null];
      try {
        ck(g.instantiate(exec, graph[0], 0), 'cuGraphInstantiateWithFlags');
      } finally {
        g.destroyGraph(graph[0]);
      }
      return exec[0];
    },
    launch: (exec) => ck(g.launch(exec, null), 'cuGraphLaunch'),
    destroy: (exec) => ck(g.destroyExec(exec), 'cuGraphExecDestroy'),
  };
}
