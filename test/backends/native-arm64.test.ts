/**
 * The native backend's SIMD kernels for CPUs other than this one's: native/check/kernel-check.cc compares each SIMD
 * kernel with the portable one and with naive sums (ternary dots bit for bit, lm_head and attention within float32
 * error). Built for x86-64 and run here (AVX2 where the CPU has it); built for x86-64 with BITNET_EMULATE_VNNI, where
 * native/vnni.cc runs over SIMDe's portable intrinsics (no machine of ours has AVX-VNNI or AVX-512 VNNI and QEMU does
 * not emulate them); and cross-built for arm64 and run under qemu-aarch64 (the NEON kernels). Skipped, with the
 * reason, where the compilers, SIMDe or qemu are missing (.ci/run installs them).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const NATIVE = fileURLToPath(new URL('../../native/', import.meta.url));
const SOURCES = ['check/kernel-check.cc', 'ternary.cc', 'avx2.cc', 'vnni.cc', 'neon.cc', 'cpu.cc', 'lm_head.cc', 'attention.cc', 'rows.cc'];
const FLAGS = ['-std=c++20', '-O2', '-ffp-contract=off'];
const SIMDE_HEADER = '/usr/include/simde/x86/avx512/dpbusd.h';

const has = (cmd: string): boolean => spawnSync(cmd, ['--version'], { encoding: 'utf8' }).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'bitnet-kernel-check-'));

function buildAndRun(compiler: string, extra: string[], runner: string[], name = compiler): { status: number | null; out: string } {
  const exe = join(dir, name);
  const build = spawnSync(compiler, [...FLAGS, ...extra, ...SOURCES, '-o', exe], { cwd: NATIVE, encoding: 'utf8' });
  expect(build.status, build.stderr).toBe(0);
  const run = spawnSync(runner[0] ?? exe, runner.length > 0 ? [...runner.slice(1), exe] : [], { encoding: 'utf8', timeout: 120_000 });
  return { status: run.status, out: `${run.stdout}${run.stderr}` };
}

const hostSkip = process.arch !== 'x64' ? `skipped: this check builds for x86-64, the host is ${process.arch}` : has('g++') ? null : 'skipped: no g++';
describe.skipIf(hostSkip !== null)(`native kernels on this CPU (x86-64)${hostSkip === null ? '' : ` ${hostSkip}`}`, () => {
  it('SIMD kernels equal the portable ones and naive sums', () => {
    const r = buildAndRun('g++', [], []);
    expect(r.out).toMatch(/ternary dots: 245 shapes/);
    expect(r.out, r.out).toMatch(/all checks passed \((avx2|scalar)\)/);
    expect(r.status).toBe(0);
  });
});

// The emulated kernels sit behind the AVX2 dispatch, as the real ones do, so the host needs AVX2 to reach them.
const hostAvx2 = existsSync('/proc/cpuinfo') && /^flags\s*:.*\bavx2\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));
const vnniSkip =
  hostSkip ??
  (!hostAvx2 ? 'skipped: the host has no AVX2' : existsSync(SIMDE_HEADER) ? null : `skipped: no SIMDe headers (${SIMDE_HEADER}; apt install libsimde-dev)`);
describe.skipIf(vnniSkip !== null)(`native VNNI kernels over SIMDe (AVX-VNNI, AVX-512 VNNI)${vnniSkip === null ? '' : ` ${vnniSkip}`}`, () => {
  it('the VNNI ternary kernels equal the scalar ones and naive sums, bit for bit', () => {
    const r = buildAndRun('g++', ['-DBITNET_EMULATE_VNNI', '-Wno-psabi'], [], 'g++-vnni');
    expect(r.out).toMatch(/ternary dots: 245 shapes/);
    expect(r.out).toMatch(/ternary paths: avx-vnni avx2 avx512-vnni scalar\n/);
    expect(r.out, r.out).toMatch(/all checks passed/);
    expect(r.status).toBe(0);
  });
});

const armSkip = !has('aarch64-linux-gnu-g++') ? 'skipped: no aarch64-linux-gnu-g++ (apt install g++-aarch64-linux-gnu)' : !has('qemu-aarch64') ? 'skipped: no qemu-aarch64 (apt install qemu-user)' : null;
describe.skipIf(armSkip !== null)(`native kernels on arm64 under qemu (NEON)${armSkip === null ? '' : ` ${armSkip}`}`, () => {
  it('NEON kernels equal the portable ones and naive sums', () => {
    const r = buildAndRun('aarch64-linux-gnu-g++', ['-static'], ['qemu-aarch64']);
    expect(r.out).toMatch(/simd path: neon/);
    expect(r.out).toMatch(/ternary dots: 245 shapes/);
    expect(r.out, r.out).toMatch(/all checks passed \(neon\)/);
    expect(r.status).toBe(0);
  });
});
