/**
 * The CLI on GGUF files: `bitnet convert`, `bitnet inspect`, and `bitnet run --model FILE.gguf` for every type,
 * checked against llama.cpp's greedy continuations (golden/llamacpp) and the tiny model's oracle.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { golden as tiny } from '../helpers/golden.js';

const dir = mkdtempSync(join(tmpdir(), 'bitnet-cli-gguf-'));
const lc = JSON.parse(readFileSync('golden/llamacpp/golden.json', 'utf8')) as {
  prompts: { text: string; input_ids: number[]; llamacpp: Record<string, { greedy_ids: number[] }> }[];
};

describe('bitnet run --model FILE.gguf', () => {
  for (const type of ['tq2_0', 'tq1_0', 'f32', 'f16']) {
    it(`${type}: --numerics llamacpp continues as llama.cpp did`, async () => {
      const p = lc.prompts[1];
      const want = p.llamacpp[type].greedy_ids.slice(0, 12);
      const r = await runCli(['run', p.text, '-m', `golden/llamacpp/bitnet-d256-L2-s1-${type}.gguf`, '--numerics', 'llamacpp', '--greedy', '-n', '12', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.promptTokenIds).toEqual(p.input_ids);
      expect(out.tokenIds).toEqual(want);
      expect(r.stderr).toMatch(/numerics llamacpp/);
    });
  }

  it('rejects an unknown numerics profile with exit 2', async () => {
    const r = await runCli(['run', 'x', '--numerics', 'bf16']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--numerics/);
  });
});

describe('bitnet convert and inspect', () => {
  for (const type of ['tq2_0', 'tq1_0', 'i2_s']) {
    it(`converts the shipped model to ${type}, inspects it, and runs it like the HF folder`, async () => {
      const out = join(dir, `tiny-${type}.gguf`);
      const c = await runCli(['convert', 'models/tiny-bitnet', '--to', type, '-o', out, '--json']);
      expect(c.code, c.stderr).toBe(0);
      expect(JSON.parse(c.stdout)).toMatchObject({ path: out, type });

      const text = await runCli(['inspect', out]);
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(new RegExp(`architecture: ${type === 'i2_s' ? 'bitnet-b1\\.58' : 'bitnet'}`));
      expect(text.stdout).toMatch(/block_count = 8/);
      expect(text.stdout).toMatch(new RegExp(`blk\\.0\\.attn_q\\.weight +${type.toUpperCase()} +\\[256, 256\\]`));
      const json = JSON.parse((await runCli(['inspect', out, '--json'])).stdout);
      expect(json.metadata['general.architecture']).toBe(type === 'i2_s' ? 'bitnet-b1.58' : 'bitnet');
      expect(json.tensors.find((t: { name: string }) => t.name === 'token_embd.weight')).toMatchObject({ type: 'BF16', dims: [256, 4096] });

      const p = tiny.prompts[0];
      const r = await runCli(['run', p.text, '-m', out, '--greedy', '-n', '24', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).tokenIds).toEqual(p.greedy_ids.slice(0, 24));
    });
  }

  it('inspect names the file when it is not a GGUF', async () => {
    const r = await runCli(['inspect', 'models/tiny-bitnet/config.json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/config\.json: bad magic/);
  });

  it('convert requires --to from the listed types', async () => {
    const r = await runCli(['convert', 'models/tiny-bitnet', '--to', 'q4_0', '-o', join(dir, 'x.gguf')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/tq2_0, tq1_0, i2_s/);
  });
});
