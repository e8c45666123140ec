/**
 * What `npm publish` would ship, from `npm pack --dry-run --json` (scripts off: `npm test` has built dist already):
 * everything a user needs (every entry point package.json names, the shipped model, the kernels the backends load at
 * run time, what the install script builds the native addon from, the docs the README links to) and nothing else (no
 * tests, golden data, benchmarks, demo, development scripts, TypeScript sources, local build products, device-run
 * leftovers, stale build outputs, source maps pointing at files left out), within a size bound. Then the real
 * tarball, unpacked on its own, runs the CLI and generates what the repository's CLI generates.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MiB = 1024 * 1024;
const run = promisify(execFile);
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  main: string;
  types: string;
  bin: Record<string, string>;
  exports: Record<string, string | Record<string, string>>;
  scripts: Record<string, string>;
};
/** The files that npm's install-time lifecycle scripts run with node (they must ship, or installing fails). */
const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall']
  .map((k) => PKG.scripts[k])
  .filter((c): c is string => c !== undefined)
  .flatMap((c) => [...c.matchAll(/\bnode\s+([^\s&|;]+)/g)].map((m) => posix.normalize(m[1])));

interface PackEntry {
  path: string;
  size: number;
  mode: number;
}
interface Pack {
  files: PackEntry[];
  size: number;
  unpackedSize: number;
  entryCount: number;
}

let pack: Pack;
let paths: Set<string>;
beforeAll(async () => {
  const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, maxBuffer: 64 * MiB });
  pack = (JSON.parse(stdout) as Pack[])[0];
  paths = new Set(pack.files.map((f) => f.path));
});

/** Every file under `dir` (relative to the repository root, with forward slashes). */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(join(ROOT, d))) {
      const p = posix.join(d, name);
      if (statSync(join(ROOT, p)).isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** The files package.json points users at: main, types, bin and every exports condition. */
function entryPoints(): string[] {
  const targets = [PKG.main, PKG.types, ...Object.values(PKG.bin)];
  for (const e of Object.values(PKG.exports)) targets.push(...(typeof e === 'string' ? [e] : Object.values(e)));
  return targets.map((t) => posix.normalize(t));
}

describe('npm pack', () => {
  it('ships every entry point, the shipped model and the run-time kernels', () => {
    const required = [
      'package.json',
      'README.md',
      'LICENSE',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/browser.js',
      'dist/browser.d.ts',
      'dist/cli/main.js',
      ...entryPoints(),
      ...filesUnder('models/tiny-bitnet'),
      // Assets next to the sources that the backends read at run time (wasm kernels, CUDA source for NVRTC).
      ...filesUnder('src')
        .filter((p) => !p.endsWith('.ts'))
        .map((p) => `dist/${p.slice('src/'.length)}`),
    ];
    expect(required).toContain('models/tiny-bitnet/model.safetensors');
    expect(required).toContain('dist/kernels/wasm/kernels-simd.wasm');
    expect(required.filter((p) => !paths.has(p))).toEqual([]);
  });

  it('ships what the install script needs to build the native addon', () => {
    const required = [...INSTALL_SCRIPTS];
    if (paths.has('binding.gyp')) {
      // binding.gyp is a Python literal; this one is also JSON. Its sources and the headers beside them must ship.
      const gyp = JSON.parse(readFileSync(join(ROOT, 'binding.gyp'), 'utf8')) as { targets: { sources: string[] }[] };
      const sources = gyp.targets.flatMap((t) => t.sources).map((p) => posix.normalize(p));
      const dirs = new Set(sources.map((p) => posix.dirname(p)));
      required.push(...sources, ...[...dirs].flatMap((d) => filesUnder(d).filter((p) => /\.(h|hh|hpp)$/.test(p))));
    }
    expect(required.filter((p) => !paths.has(p))).toEqual([]);
  });

  it('the CLI is an executable script', () => {
    const main = pack.files.find((f) => f.path === 'dist/cli/main.js')!;
    expect(main.mode & 0o111).not.toBe(0);
    expect(readFileSync(join(ROOT, 'dist/cli/main.js'), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('ships the docs the README links to', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const links = [...readme.matchAll(/\]\((docs\/[^)#\s]+)/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(5);
    expect([...new Set(links)].filter((p) => !paths.has(p))).toEqual([]);
  });

  it('ships nothing for development only', () => {
    const forbidden = [
      /^(src|test|spec|golden|bench|demo|test-output|dist-demo|node_modules|build|\.device-carry|\.ci|\.github)\//,
      /^scripts\//, // development scripts; those the install runs are allowed below
      /(^|\/)\.[^/]+$/, // dotfiles (.gitignore, .DS_Store, …)
      /\.tgz$/,
      /^tsconfig.*\.json$/,
      /^vitest\.config\./,
      /^package-lock\.json$/,
      /\.test\.[cm]?[jt]s$/,
      /\.spec\.[cm]?[jt]s$/,
    ];
    const shipped = pack.files.map((f) => f.path).filter((p) => !INSTALL_SCRIPTS.includes(p));
    expect(shipped.filter((p) => forbidden.some((re) => re.test(p)))).toEqual([]);
  });

  it('every compiled file comes from a source that still exists (no stale build outputs)', () => {
    const stale = [...paths].filter((p) => /^dist\/.*\.(js|d\.ts)$/.test(p)).filter((p) => {
      const src = `src/${p.slice('dist/'.length).replace(/\.(js|d\.ts)$/, '.ts')}`;
      try {
        return !statSync(join(ROOT, src)).isFile();
      } catch {
        return true;
      }
    });
    expect(stale, 'stale files in dist/: rm -rf dist && npm run build').toEqual([]);
  });

  it('no source map points at a file the package leaves out', () => {
    const dangling: string[] = [];
    for (const p of [...paths].filter((q) => q.endsWith('.map'))) {
      const map = JSON.parse(readFileSync(join(ROOT, p), 'utf8')) as { sourceRoot?: string; sources: string[] };
      for (const s of map.sources) {
        const target = relative(ROOT, join(ROOT, posix.dirname(p), map.sourceRoot ?? '', s)).split('\\').join('/');
        if (!paths.has(target)) dangling.push(`${p} → ${target}`);
      }
    }
    expect(dangling).toEqual([]);
  });

  it('stays small', () => {
    expect(pack.entryCount).toBe(pack.files.length);
    expect(pack.size, 'tarball bytes').toBeLessThan(5 * MiB);
    expect(pack.unpackedSize, 'unpacked bytes').toBeLessThan(8 * MiB);
    expect(pack.entryCount).toBeLessThan(600);
  });

  it('the packed tarball, unpacked on its own, runs the CLI as the repository does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bitnet-pack-'));
    try {
      const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT, maxBuffer: 64 * MiB });
      const tarball = join(dir, (JSON.parse(stdout) as { filename: string }[])[0].filename);
      await run('tar', ['xzf', tarball, '-C', dir]);
      symlinkSync(join(ROOT, 'node_modules'), join(dir, 'package', 'node_modules'), 'dir'); // the dependencies, as an install would provide
      const args = ['run', 'Call me Ishmael.', '--greedy', '-n', '8', '--backend', 'wasm', '--threads', '1', '--json', '--quiet'];
      const packed = JSON.parse((await run(process.execPath, [join(dir, 'package', PKG.bin.bitnet), ...args], { cwd: dir })).stdout) as { text: string; usage: { generatedTokens: number } };
      const repo = JSON.parse((await run(process.execPath, [join(ROOT, PKG.bin.bitnet), ...args], { cwd: ROOT })).stdout) as { text: string };
      expect(packed.usage.generatedTokens).toBe(8);
      expect(packed.text).toBe(repo.text);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
