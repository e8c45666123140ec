/**
 * `bitnet serve` as a user runs it: --json prints where it listens, the API answers there, SIGTERM stops it with
 * exit code 0; --help describes the command.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';

describe('bitnet serve', () => {
  it('--help names the endpoints and options', async () => {
    const r = await runCli(['serve', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\/v1\/chat\/completions/);
    expect(r.stdout).toMatch(/--concurrency/);
    expect(r.stdout).toMatch(/--max-tokens/);
  });

  it('serves on the port it prints, answers, and stops on SIGTERM with exit 0', async () => {
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--json', '--backend', 'wasm', '--threads', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (out.includes('\n')) resolve(out.split('\n')[0]);
      });
      child.on('close', (code) => reject(new Error(`exited ${code} before listening: ${stderr}`)));
    });
    const { url, model, backend } = JSON.parse(line) as { url: string; model: string; backend: string };
    expect(model).toBe('tiny-bitnet');
    expect(backend).toBe('wasm');
    const res = await fetch(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'Call me', max_tokens: 3, temperature: 0 }) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices: { text: string }[]; usage: { completion_tokens: number } };
    expect(body.usage.completion_tokens).toBe(3);
    const exit = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(stderr).toMatch(/serving tiny-bitnet on http:\/\/127\.0\.0\.1:\d+\/v1/);
  });
});
