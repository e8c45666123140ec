/**
 * The CUDA kernel source compiles for the architectures the backend targets, checked with the CUDA toolkit's nvcc
 * where one is installed (no GPU needed): at run time NVRTC compiles the same file with the same options
 * (--std=c++17, no fast-math), so a syntax or type error shows here instead of on a user's GPU. Every kernel the
 * backend launches must be in the cubin. Skipped, with the reason, without nvcc.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KERNELS } from '../../src/backends/cuda/index.js';

const SOURCE = fileURLToPath(new URL('../../src/kernels/cuda/bitnet.cu', import.meta.url));
const nvcc = spawnSync('nvcc', ['--version'], { encoding: 'utf8' }).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'bitnet-cu-'));

describe.skipIf(!nvcc)(`bitnet.cu compiles with nvcc${nvcc ? '' : ' skipped: no nvcc (CUDA toolkit) installed'}`, () => {
  for (const arch of ['sm_80', 'sm_90']) {
    it(`for ${arch}, with every kernel the backend launches`, () => {
      const cubin = join(dir, `${arch}.cubin`);
      const r = spawnSync('nvcc', ['--cubin', `-arch=${arch}`, '-std=c++17', SOURCE, '-o', cubin], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      // extern "C" kernels keep their names in the ELF string table as they are.
      const bytes = readFileSync(cubin).toString('latin1');
      for (const k of KERNELS) expect(bytes.includes(`\0${k}\0`), k).toBe(true);
    });
  }
});
