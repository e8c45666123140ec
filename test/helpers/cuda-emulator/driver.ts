/**
 * A CudaDriver whose "device" is this process's memory and whose "NVRTC" is the host C++ compiler with the CPU
 * stand-in for CUDA's execution model (emulator.h): the cuda backend, unchanged, runs its real kernel source on
 * the CPU, so the op specs and the golden tests check kernels and marshalling in CI, where no GPU exists.
 *
 * Device pointers are host addresses from malloc; fresh allocations are filled with 0xff bytes (NaN as float32)
 * because cuMemAlloc does not zero either. compile() returns a shared library in place of a cubin; loadModule()
 * loads it. Libraries are kept under the OS temporary directory, keyed by a hash of source and header, so that
 * the many test files of one run compile each source once.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import koffi from 'koffi';
import type { CudaDriver, KernelArg } from '../../../src/backends/cuda/driver.js';

const HEADER = fileURLToPath(new URL('./emulator.h', import.meta.url));
const CXX = process.env.CXX ?? 'g++';

/** Why the emulator cannot run here (no C++ compiler), or null. */
export function emulatorUnavailableReason(): string | null {
  const probe = spawnSync(CXX, ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) return `no C++ compiler (${CXX}) for the CUDA emulator`;
  if (process.arch !== 'x64' && process.arch !== 'arm64') return `the CUDA emulator is not built for ${process.arch}`;
  return null;
}

/** The source as the host compiler takes it: dynamic shared memory through the emulator, and every kernel registered. */
export function emulatorSource(source: string): string {
  const kernels = [...source.matchAll(/extern "C" __global__ void (?:__launch_bounds__\([^)]*\)\s*)?(\w+)\(/g)].map((m) => m[1]);
  const body = source.replace(/extern __shared__ (\w+) (\w+)\[\];/g, (_, type: string, name: string) => `${type}* ${name} = static_cast<${type}*>(emu::dynamicShared());`);
  const tail = [
    ...kernels.map((k) => `EMU_KERNEL(${k})`),
    'extern "C" int emu_launch(const char* name, unsigned grid, unsigned bx, unsigned by, unsigned shared, void* const* params) {',
    '  auto it = emu::registry().find(name);',
    '  if (it == emu::registry().end()) return 2;',
    '  return emu::run(it->second, params, grid, bx, by, shared);',
    '}',
    'extern "C" int emu_has(const char* name) { return emu::registry().count(name) ? 1 : 0; }',
  ];
  return `${body}\n${tail.join('\n')}\n`;
}

function compileLibrary(source: string, name: string): string {
  const header = readFileSync(HEADER, 'utf8');
  const full = emulatorSource(source);
  const key = createHash('sha256').update(`${CXX}\n${header}\n${full}`).digest('hex').slice(0, 24);
  const dir = join(tmpdir(), 'bitnet-cuda-emulator');
  const lib = join(dir, `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}-${key}.so`);
  if (existsSync(lib)) return lib;
  mkdirSync(dir, { recursive: true });
  const src = join(dir, `${key}.${process.pid}.cc`);
  writeFileSync(src, full);
  const tmp = `${lib}.${process.pid}.tmp`;
  const r = spawnSync(CXX, ['-std=c++17', '-O2', '-g0', '-shared', '-fPIC', '-Wno-unknown-pragmas', '-include', HEADER, '-x', 'c++', src, '-o', tmp], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the host compiler could not build ${name} for the CUDA emulator:\n${r.stderr ?? r.error?.message}`);
  renameSync(tmp, lib); // atomic: test files compiling the same source at once never load a half-written library
  return lib;
}

const libc = koffi.load(process.platform === 'darwin' ? 'libc.dylib' : 'libc.so.6');
const malloc = libc.func('uint64_t malloc(size_t n)');
const free = libc.func('void free(uint64_t p)');
const memset = libc.func('uint64_t memset(uint64_t p, int c, size_t n)');
const copyIn = libc.func('uint64_t memcpy(uint64_t dst, const void *src, size_t n)');
const copyOut = libc.func('uint64_t memcpy(_Out_ void *dst, uint64_t src, size_t n)');
const copyWithin = libc.func('uint64_t memmove(uint64_t dst, uint64_t src, size_t n)');

export interface EmulatedCudaDriver extends CudaDriver {
  /** Launches so far, by kernel name (a graph's launches count when it runs, not when it is captured). */
  readonly launches: Map<string, number>;
  /** Graphs captured, run, and alive (captured and not destroyed). */
  readonly graphCounts: { captured: number; launched: number; alive: number };
}

export function openEmulatedCudaDriver(): EmulatedCudaDriver {
  const live = new Map<bigint, number>();
  const launches = new Map<string, number>();
  const MAX_ARGS = 24;
  const argBuffer = Buffer.alloc(8 * MAX_ARGS);
  const argView = new DataView(argBuffer.buffer, argBuffer.byteOffset, argBuffer.byteLength);
  const params = BigUint64Array.from({ length: MAX_ARGS + 1 }, (_, i) => (i < MAX_ARGS ? (koffi.address(argBuffer) as bigint) + BigInt(8 * i) : 0n));
  /** A kernel handle: the loaded library's launcher and the kernel's name (each module is a library of its own). */
  type Handle = { readonly launch: (...a: unknown[]) => number; readonly name: string };
  // A graph is the list of launches captured; while capturing, launches are recorded and any memory operation is
  // refused (on a device it would run at once, outside the graph, or fail the capture).
  type Captured = { handle: unknown; grid: number; block: [number, number]; shared: number; args: KernelArg[] };
  let capturing: Captured[] | null = null;
  const graphCounts = { captured: 0, launched: 0, alive: 0 };
  const notCapturing = (what: string) => {
    if (capturing !== null) throw new Error(`emulated CUDA: ${what} while a graph is being captured`);
  };
  const inBounds = (p: bigint, bytes: number, what: string) => {
    notCapturing(what);
    for (const [base, size] of live) if (p >= base && p + BigInt(bytes) <= base + BigInt(size)) return;
    throw new Error(`emulated CUDA: ${what} of ${bytes} bytes at 0x${p.toString(16)} is outside every allocation`);
  };
  const driver: EmulatedCudaDriver = {
    deviceName: 'CUDA emulator (CPU)',
    computeCapability: 90,
    compilerId: `emulator/${CXX}`,
    launches,
    graphCounts,
    alloc(bytes) {
      notCapturing('alloc');
      const p = BigInt(malloc(Math.max(bytes, 4)));
      if (p === 0n) throw new Error(`emulated CUDA: malloc(${bytes}) failed`);
      memset(p, 0xff, Math.max(bytes, 4));
      live.set(p, Math.max(bytes, 4));
      return p;
    },
    free(p) {
      notCapturing('free');
      if (!live.delete(p)) throw new Error(`emulated CUDA: free of 0x${p.toString(16)}, which is not allocated`);
      free(p);
    },
    upload(dst, src) {
      inBounds(dst, src.byteLength, 'upload');
      copyIn(dst, src, src.byteLength);
    },
    download(dst, src) {
      inBounds(src, dst.byteLength, 'download');
      copyOut(dst, src, dst.byteLength);
    },
    copy(dst, src, bytes) {
      inBounds(dst, bytes, 'copy destination');
      inBounds(src, bytes, 'copy source');
      copyWithin(dst, src, bytes);
    },
    zero(p, bytes) {
      inBounds(p, bytes, 'zero');
      memset(p, 0, bytes);
    },
    compile: (source, name) => new TextEncoder().encode(compileLibrary(source, name)),
    loadModule(library, kernels) {
      const lib = koffi.load(new TextDecoder().decode(library));
      const has = lib.func('int emu_has(const char *name)');
      const launch = lib.func('int emu_launch(const char *name, unsigned int grid, unsigned int bx, unsigned int by, unsigned int shared, uint64_t *params)');
      const out = new Map<string, unknown>();
      for (const k of kernels) {
        if (has(k) !== 1) throw new Error(`emulated CUDA: the module has no kernel ${k}`);
        out.set(k, { launch, name: k } satisfies Handle);
      }
      return out;
    },
    launch(handle, grid, block, sharedBytes, args: readonly KernelArg[]) {
      if (capturing !== null) {
        capturing.push({ handle, grid, block: [block[0], block[1]], shared: sharedBytes, args: [...args] });
        return;
      }
      const { launch, name } = handle as Handle;
      if (block[0] * block[1] > 1024) throw new Error(`emulated CUDA: a block of ${block[0] * block[1]} threads (at most 1024)`);
      if (sharedBytes > 48 * 1024) throw new Error(`emulated CUDA: ${sharedBytes} bytes of dynamic shared memory without opting in (at most 49152)`);
      args.forEach((a, i) => {
        if (a.type === 'ptr') argView.setBigUint64(8 * i, a.value, true);
        else if (a.type === 'i32') argView.setInt32(8 * i, a.value, true);
        else argView.setFloat32(8 * i, a.value, true);
      });
      const rc = launch(name, grid, block[0], block[1], sharedBytes, params);
      if (rc === 1) throw new Error(`emulated CUDA: ${name} deadlocked (a barrier some live thread never reached)`);
      if (rc !== 0) throw new Error(`emulated CUDA: ${name} failed (${rc})`);
      launches.set(name, (launches.get(name) ?? 0) + 1);
    },
    synchronize: () => undefined,
    graphs: {
      capture(record) {
        notCapturing('capture');
        capturing = [];
        try {
          record();
          graphCounts.captured++;
          graphCounts.alive++;
          return { launches: capturing, destroyed: false };
        } finally {
          capturing = null;
        }
      },
      launch(exec) {
        const graph = exec as { launches: Captured[]; destroyed: boolean };
        if (graph.destroyed) throw new Error('emulated CUDA: launch of a destroyed graph');
        for (const l of graph.launches) driver.launch(l.handle, l.grid, l.block, l.shared, l.args);
        graphCounts.launched++;
      },
      destroy(exec) {
        const graph = exec as { destroyed: boolean };
        if (graph.destroyed) throw new Error('emulated CUDA: a graph destroyed twice');
        graph.destroyed = true;
        graphCounts.alive--;
      },
    },
  };
  return driver;
}
