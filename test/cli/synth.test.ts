/**
 * `bitnet synth` as a user runs it: --json result on stdout, progress on stderr, the file inspectable and runnable,
 * the same bytes as the library for the same seed, usage errors with exit code 2.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { synthesizeGguf } from '../../src/convert/synth.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'bitnet-cli-synth-'));

describe('bitnet synth', () => {
  it('writes a tiny model (--json), which inspect describes and run continues', async () => {
    const out = join(dir, 'tiny-tq2_0-s3.gguf');
    const r = await runCli(['synth', '--shape', 'tiny', '--type', 'tq2_0', '--seed', '3', '-o', out, '--json', '--verbose']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ path: out, shape: 'tiny', type: 'tq2_0', seed: 3, architecture: 'bitnet', tensors: 24 });
    expect(r.stderr).toMatch(/tensors written 24\/24/); // --verbose: plain progress lines (stderr is a pipe)
    expect(existsSync(`${out}.partial`)).toBe(false);

    const lib = join(dir, 'lib.gguf');
    synthesizeGguf({ shape: 'tiny', type: 'tq2_0', seed: 3, out: lib });
    expect(readFileSync(out).equals(readFileSync(lib))).toBe(true);

    const text = await runCli(['inspect', out]);
    expect(text.stdout).toMatch(/architecture: bitnet \(synthetic-bitnet-tiny-tq2_0-s3\)/);
    expect(text.stdout).toMatch(/blk\.1\.ffn_down\.weight +TQ2_0 +\[768, 256\]/);

    const run = await runCli(['run', 'hello world', '-m', out, '--greedy', '-n', '4', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).tokenIds).toHaveLength(4);
  });

  it('-q prints nothing on stderr; the default type is tq2_0 and the default seed 1', async () => {
    const out = join(dir, 'defaults.gguf');
    const r = await runCli(['synth', '--shape', 'tiny', '-o', out, '-q']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('');
    const lib = join(dir, 'defaults-lib.gguf');
    synthesizeGguf({ shape: 'tiny', type: 'tq2_0', seed: 1, out: lib });
    expect(readFileSync(out).equals(readFileSync(lib))).toBe(true);
  });

  it('rejects a missing or unknown shape, an unknown type and a bad seed with exit 2', async () => {
    const out = join(dir, 'never.gguf');
    for (const args of [['-o', out], ['--shape', '7b', '-o', out], ['--shape', 'tiny', '--type', 'q4_0', '-o', out], ['--shape', 'tiny', '--seed', '-1', '-o', out]]) {
      const r = await runCli(['synth', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
    }
    const r = await runCli(['synth', '--shape', '7b', '-o', out]);
    expect(r.stderr).toMatch(/tiny, 700m, 2b4t/);
    expect(existsSync(out)).toBe(false);
  });

  it('lists synth in --help', async () => {
    const r = await runCli(['--help']);
    expect(r.stdout).toMatch(/synth \[options\] +write a random BitNet GGUF of a named shape/);
  });
});
