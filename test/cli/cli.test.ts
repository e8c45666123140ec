/**
 * The `bitnet` command as a user runs it: stdout for results, stderr for progress, exit codes for failures.
 * Expected ids and logits come from the float64 oracle in golden/tiny-bitnet.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nativeBackend } from '../../src/backends/native/index.js';
import { CLI, runCli } from '../helpers/cli.js';
import { golden, readF64, worstRelative } from '../helpers/golden.js';

const p0 = golden.prompts[0];

describe('the bitnet executable', () => {
  it('runs by itself (shebang, execute bit from the build), as npx and npm bin links run it', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const r = spawnSync(CLI, ['--version'], { encoding: 'utf8' });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });
});

describe('bitnet run', () => {
  it('prints the oracle greedy continuation as one JSON object with --json', async () => {
    const r = await runCli(['run', p0.text, '-b', 'reference', '--greedy', '-n', '48', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.promptTokenIds).toEqual(p0.input_ids);
    expect(out.tokenIds).toEqual(p0.greedy_ids);
    expect(out.backend).toBe('reference');
    expect(out.usage).toMatchObject({ promptTokens: p0.input_ids.length, generatedTokens: 48 });
    expect(out.usage.prefillTokensPerSecond).toBeGreaterThan(0);
    expect(out.usage.decodeTokensPerSecond).toBeGreaterThan(0);
    expect(typeof out.text).toBe('string');
    expect(r.stderr).toMatch(/tok\/s/);
  });

  it('streams the same text to stdout without --json, progress on stderr only', async () => {
    const json = JSON.parse((await runCli(['run', p0.text, '-b', 'reference', '--greedy', '-n', '16', '--json'])).stdout);
    const plain = await runCli(['run', p0.text, '-b', 'reference', '--greedy', '-n', '16']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toBe(`${json.text}\n`);
    expect(plain.stderr).toMatch(/backend reference/);
  });

  it('picks the fastest available CPU backend by default (native where its addon built, else wasm) and says so', async () => {
    const native = (await nativeBackend.unavailableReason()) === null;
    const want = native ? 'native' : 'wasm';
    const r = await runCli(['run', p0.text, '--greedy', '-n', '8', '--json', '--verbose', '--threads', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).backend).toBe(want);
    expect(JSON.parse(r.stdout).usage.backend).toMatchObject({ name: want, precision: 'float32', threads: 2 });
    expect(r.stderr).toMatch(native ? /backend native: float32, 2 thread\(s\), features x86_64 (avx2|scalar)/ : /backend wasm: float32, 2 thread\(s\), features simd128/);
  });

  it('reads the prompt from stdin when none is given', async () => {
    const r = await runCli(['run', '--greedy', '-n', '4', '--json'], p0.text);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).promptTokenIds).toEqual(p0.input_ids);
  });

  it('reproduces a sampled run with --seed and honours --stop', async () => {
    const a = JSON.parse((await runCli(['run', p0.text, '-s', '9', '-n', '24', '--json'])).stdout);
    const b = JSON.parse((await runCli(['run', p0.text, '-s', '9', '-n', '24', '--json'])).stdout);
    expect(b.tokenIds).toEqual(a.tokenIds);
    expect(a.seed).toBe(9);
    const stopped = JSON.parse((await runCli(['run', p0.text, '--greedy', '-n', '48', '--stop', ' of the Union', '--json'])).stdout);
    expect(stopped.finishReason).toBe('stop');
    expect(stopped.text).not.toContain(' of the Union');
  });

  it('exits 2 on a malformed or out-of-range option, naming it', async () => {
    const bad = await runCli(['run', 'x', '--top-k', 'abc']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--top-k/);
    const range = await runCli(['run', 'x', '--top-p', '2']);
    expect(range.code).toBe(2);
    expect(range.stderr).toMatch(/topP/);
  });

  it('exits 1 with a clear message for an unknown backend or a missing model', async () => {
    const backend = await runCli(['run', 'x', '--backend', 'warp-drive']);
    expect(backend.code).toBe(1);
    expect(backend.stderr).toMatch(/backend 'warp-drive' is not available: unknown backend \(known: cuda, webgpu, native, wasm, reference\)/);
    const model = await runCli(['run', 'x', '--model', '/nonexistent/model', '--json']);
    expect(model.code).toBe(1);
    expect(model.stderr).toMatch(/\/nonexistent\/model/);
    expect(JSON.parse(model.stdout).error.code).toBe('FORMAT');
  });

  it('answers --help on every command with exit 0', async () => {
    for (const args of [['--help'], ['run', '--help'], ['perplexity', '--help'], ['logits', '--help']]) {
      const r = await runCli(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Usage: bitnet/);
    }
  });
});

describe('bitnet logits', () => {
  it('writes float32 logits of every position equal to the oracle up to float32 rounding', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bitnet-logits-')), 'p0.f32');
    const r = await runCli(['logits', '-b', 'reference', '--prompt', p0.text, '--out', out, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ shape: p0.logits_shape, tokenIds: p0.input_ids, dtype: 'float32' });
    const bytes = readFileSync(out);
    const got = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    // Rounding a float64 to float32 changes it by at most 2^-24 relative; allow 2^-23.
    expect(worstRelative(got, readF64(p0.logits_file), 2 ** -23).ratio).toBeLessThanOrEqual(1);
  });
});

describe('bitnet perplexity', () => {
  it('scores heldout-emma.txt to the oracle perplexity, 8 significant digits', async () => {
    const t = golden.text_perplexity;
    const r = await runCli(['perplexity', '-b', 'reference', '--file', `golden/tiny-bitnet/${t.file}`, '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.tokens).toBe(t.scored_tokens);
    expect(Math.abs(out.perplexity - t.ppl) / t.ppl).toBeLessThan(5e-9);
  });

  it('needs exactly one of --file and --tokens', async () => {
    const r = await runCli(['perplexity']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--file\/--tokens/);
  });
});

describe('bitnet run into a pipe that closes', () => {
  it('a reader that goes away (| head) ends it quietly with 141, as SIGPIPE does to Unix tools, without a stack trace', async () => {
    const child = spawn(process.execPath, [CLI, 'run', '--backend', 'wasm', '--threads', '1', '-n', '400', 'Call me Ishmael.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.once('data', () => child.stdout.destroy()); // the reader leaves after the first text
      child.on('close', resolve);
    });
    expect(stderr).not.toMatch(/EPIPE|Unhandled|at /);
    expect(code).toBe(141);
  });
});
