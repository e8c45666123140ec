/**
 * The CUDA modules compile for the architectures the backend targets, checked with the CUDA toolkit's nvcc where
 * one is installed (no GPU needed): at run time NVRTC compiles the same text (common.cuh + the module, from
 * src/backends/cuda/sources.ts) with the same options (--std=c++17, no fast-math), so a syntax or type error — or
 * PTX that ptxas refuses, as the tensor-core GEMM's inline WMMA could be — shows here instead of on a user's GPU.
 * Every kernel the backend launches must be in the cubin. Skipped, with the reason, without nvcc.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BASE_KERNELS, GEMM_KERNELS, kernelSource, type ModuleFile } from '../../src/backends/cuda/sources.js';

const nvcc = spawnSync('nvcc', ['--version'], { encoding: 'utf8' }).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'bitnet-cu-'));
const MODULES: [ModuleFile, readonly string[], string[]][] = [
  ['bitnet.cu', BASE_KERNELS, ['sm_80', 'sm_90']],
  // int8 WMMA needs sm_72 and later: the oldest architecture nvcc 13 still targets is checked too.
  ['ternary-gemm.cu', GEMM_KERNELS, ['sm_75', 'sm_80', 'sm_90']],
];

describe.skipIf(!nvcc)(`the CUDA modules compile with nvcc${nvcc ? '' : ' skipped: no nvcc (CUDA toolkit) installed'}`, () => {
  for (const [file, kernels, archs] of MODULES) {
    for (const arch of archs) {
      it(`${file} for ${arch}, with every kernel the backend launches`, async () => {
        const source = join(dir, file);
        writeFileSync(source, await kernelSource(file));
        const cubin = join(dir, `${file}.${arch}.cubin`);
        const r = spawnSync('nvcc', ['--cubin', `-arch=${arch}`, '-std=c++17', source, '-o', cubin], { encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
        // extern "C" kernels keep their names in the ELF string table as they are.
        const bytes = readFileSync(cubin).toString('latin1');
        for (const k of kernels) expect(bytes.includes(`\0${k}\0`), k).toBe(true);
      });
    }
  }
});
