/**
 * `--help` on every command: exit 0, usage on stdout, and exactly the options of this table named (what docs/cli.md
 * documents). The table must cover exactly the commands `bitnet --help` lists, so a new command fails here until its options are written down. Every command that produces a result
 * takes --json.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const MODEL = ['--model', '--backend', '--threads', '--numerics', '--lm-head', '--json', '--quiet', '--verbose'];
const SAMPLING = ['--max-tokens', '--temperature', '--top-k', '--top-p', '--min-p', '--repeat-penalty', '--seed', '--greedy', '--stop'];

const COMMANDS: Record<string, string[]> = {
  run: [...MODEL, ...SAMPLING, '--no-bos'],
  chat: [...MODEL, ...SAMPLING, '--system'],
  perplexity: [...MODEL, '--file', '--tokens', '--max-tokens', '--window'],
  logits: [...MODEL, '--prompt', '--out', '--no-bos'],
  serve: [...MODEL, '--host', '--port', '--concurrency', '--max-queue', '--max-tokens', '--body-limit'],
  convert: ['--to', '--out', '--json', '--quiet', '--verbose'],
  synth: ['--shape', '--type', '--seed', '--out', '--json', '--quiet', '--verbose'],
  inspect: ['--json'],
};

/** The command names in `bitnet --help`'s "Commands:" section (not `help` itself). */
function listedCommands(help: string): string[] {
  const section = help.slice(help.indexOf('Commands:'));
  return [...section.matchAll(/^ {2}([a-z][\w-]*)\b/gm)].map((m) => m[1]).filter((c) => c !== 'help');
}

describe('bitnet --help', () => {
  it('lists exactly the commands this test knows', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(listedCommands(r.stdout).sort()).toEqual(Object.keys(COMMANDS).sort());
  });

  for (const [command, options] of Object.entries(COMMANDS)) {
    it(`${command} --help exits 0 and names its options`, async () => {
      const r = await runCli([command, '--help']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: bitnet ${command} `));
      const named = new Set([...r.stdout.matchAll(/(?:^|[\s,])(--[a-z][\w-]*)/g)].map((m) => m[1]));
      for (const o of [...options, '--help']) expect(named.has(o), `${command} --help names ${o}`).toBe(true);
      for (const o of named) expect([...options, '--help'], `${command} --help names ${o}, which the table lacks`).toContain(o);
      expect(options).toContain('--json');
      expect(r.stderr).toBe('');
    });
  }

  it('docs/cli.md documents --json for every command', () => {
    const docs = readFileSync('docs/cli.md', 'utf8');
    const table = docs.slice(docs.indexOf('## `--json`'));
    for (const command of Object.keys(COMMANDS)) expect(table, command).toMatch(new RegExp(`^\\| \`${command}\` +\\|`, 'm'));
  });
});
