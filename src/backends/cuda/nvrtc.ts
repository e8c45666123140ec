/**
 * NVRTC, CUDA's run-time compiler, loaded through koffi: CUDA C++ source to a cubin for one architecture. It is
 * apart from the driver (driver.ts) because it needs no GPU, so the kernel sources are compiled by the very library
 * a GPU machine uses on machines without one (test/backends/cuda-nvrtc.test.ts).
 *
 * Where it is found: the library named by BITNET_NVRTC_LIBRARY (a path, e.g. the `nvidia-cuda-nvrtc` wheel's
 * lib/libnvrtc.so.13 inside a Python environment), else the loader's search for CUDA 13's, then 12's. NVRTC opens
 * its builtins library (libnvrtc-builtins) by name at compile time; for a library outside the loader's path the
 * builtins beside it are loaded first, which the later open by name then finds.
 */
import { CudaError, findLibrary, type Koffi } from './koffi-library.js';

export interface Nvrtc {
  /** The library and its version, e.g. `libnvrtc.so.13 13.0`: part of the compiled-kernel cache key. */
  readonly id: string;
  /** The cubin of `source` for sm_`computeCapability`; CudaError with NVRTC's log when it does not compile. */
  compile(source: string, name: string, computeCapability: number): Uint8Array;
}

const LIBRARY_NAMES = ['libnvrtc.so.13', 'libnvrtc.so.12', 'libnvrtc.so', 'nvrtc64_130_0.dll', 'nvrtc64_120_0.dll'];

export async function openNvrtc(koffi: Koffi, env: Record<string, string | undefined> = process.env): Promise<Nvrtc> {
  const path = env.BITNET_NVRTC_LIBRARY;
  if (path !== undefined) await loadBuiltinsBeside(koffi, path);
  const { lib, name } = findLibrary(koffi, path === undefined ? LIBRARY_NAMES : [path]);
  const api = {
    version: lib.func('int nvrtcVersion(_Out_ int *major, _Out_ int *minor)'),
    create: lib.func('int nvrtcCreateProgram(_Out_ void **prog, const char *src, const char *name, int n, void *h, void *i)'),
    compile: lib.func('int nvrtcCompileProgram(void *prog, int n, const char **opts)'),
    logSize: lib.func('int nvrtcGetProgramLogSize(void *prog, _Out_ size_t *n)'),
    log: lib.func('int nvrtcGetProgramLog(void *prog, _Out_ char *log)'),
    cubinSize: lib.func('int nvrtcGetCUBINSize(void *prog, _Out_ size_t *n)'),
    cubin: lib.func('int nvrtcGetCUBIN(void *prog, _Out_ uint8_t *bin)'),
    destroy: lib.func('int nvrtcDestroyProgram(_Inout_ void **prog)'),
  };
  const ck = (rc: number, what: string) => {
    if (rc !== 0) throw new CudaError(`${what} failed with NVRTC error ${rc}`);
  };
  const [major, minor] = [[0], [0]];
  ck(api.version(major, minor), 'nvrtcVersion');
  return {
    id: `${name} ${major[0]}.${minor[0]}`,
    compile(source, programName, computeCapability) {
      const prog = [null];
      ck(api.create(prog, source, programName, 0, null, null), 'nvrtcCreateProgram');
      try {
        // No fast-math: divisions and square roots stay correctly rounded (the exactness of Q8_K depends on it).
        const opts = [`--gpu-architecture=sm_${computeCapability}`, '--std=c++17'];
        if (api.compile(prog[0], opts.length, opts) !== 0) {
          const size = [0];
          api.logSize(prog[0], size);
          const log = Buffer.alloc(Number(size[0]) + 1);
          api.log(prog[0], log);
          throw new CudaError(`NVRTC could not compile ${programName} for sm_${computeCapability}:\n${log.toString('utf8').replace(/\0.*$/s, '')}`);
        }
        const size = [0];
        ck(api.cubinSize(prog[0], size), 'nvrtcGetCUBINSize');
        const cubin = Buffer.alloc(Number(size[0]));
        ck(api.cubin(prog[0], cubin), 'nvrtcGetCUBIN');
        return cubin;
      } finally {
        api.destroy(prog);
      }
    },
  };
}

/** Loads the libnvrtc-builtins found in `library`'s folder, if any (a folder without one is left to NVRTC's error). */
async function loadBuiltinsBeside(koffi: Koffi, library: string): Promise<void> {
  const { readdirSync } = await import('node:fs');
  const { dirname, join } = await import('node:path');
  const dir = dirname(library);
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return; // findLibrary reports the missing library itself
  }
  // The plain builtins (libnvrtc-builtins.so.13.0, nvrtc-builtins64_130.dll), not the `.alt` variant beside them.
  const builtins = files.filter((f) => /^(lib)?nvrtc-builtins[^a-z]*\.(so[.\d]*|dll)$/.test(f));
  for (const f of builtins) {
    try {
      koffi.load(join(dir, f));
    } catch {
      // NVRTC says what it could not open when it compiles
    }
  }
}
