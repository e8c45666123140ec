/**
 * Progress: the library's reports ({ phase, done, total }: done never decreasing, never above total, ending at
 * total) for loading and converting, the CLI's reporter in each mode (bar on a terminal, plain lines with --verbose,
 * nothing otherwise), and the built CLI run with pipes (not terminals): no bar or cursor codes anywhere.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { progressMode, progressReporter, type ProgressStream } from '../../src/cli/progress.js';
import { convertHfToGguf } from '../../src/convert/hf-to-gguf.js';
import { InferenceEngine } from '../../src/engine/engine.js';
import type { LoadProgress } from '../../src/model/load-progress.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'bitnet-progress-'));
/** Layers of the shipped model, read from its config.json: its weights are layers + embedding, norm, lm_head. */
const LAYERS = (JSON.parse(readFileSync('models/tiny-bitnet/config.json', 'utf8')) as { num_hidden_layers: number }).num_hidden_layers;

/** Each phase's reports: done starts at 0, never decreases, stays within a fixed total, and ends at it. */
function expectWellFormed(reports: LoadProgress[], phases: [string, number][]): void {
  expect([...new Set(reports.map((r) => r.phase))]).toEqual(phases.map(([p]) => p));
  for (const [phase, total] of phases) {
    const rs = reports.filter((r) => r.phase === phase);
    expect(rs.every((r) => r.total === total), phase).toBe(true);
    expect(rs[0].done, phase).toBe(0);
    for (let i = 1; i < rs.length; i++) expect(rs[i].done, `${phase} #${i}`).toBeGreaterThanOrEqual(rs[i - 1].done);
    expect(rs.every((r) => r.done >= 0 && r.done <= total), phase).toBe(true);
    expect(rs[rs.length - 1].done, phase).toBe(total);
  }
  const firstOf = (p: string): number => reports.findIndex((r) => r.phase === p);
  const lastOf = (p: string): number => reports.map((r) => r.phase).lastIndexOf(p);
  for (let i = 1; i < phases.length; i++) expect(lastOf(phases[i - 1][0])).toBeLessThan(firstOf(phases[i][0]));
}

describe('load progress (library)', () => {
  for (const backend of ['reference', 'wasm']) {
    it(`InferenceEngine.load reports weights 0..${LAYERS + 3} [${backend}]`, async () => {
      const reports: LoadProgress[] = [];
      const engine = await InferenceEngine.load(undefined, { backend, onProgress: (p) => reports.push(p) });
      engine.close();
      expectWellFormed(reports, [['weights', LAYERS + 3]]);
      expect(reports).toHaveLength(LAYERS + 4); // one per piece asked for, then the end
    });
  }

  it('convertHfToGguf reports weights read, then layers encoded', () => {
    const reports: LoadProgress[] = [];
    convertHfToGguf('models/tiny-bitnet', join(dir, 'tiny.gguf'), 'tq2_0', { onProgress: (p) => reports.push(p) });
    expectWellFormed(reports, [['weights read', LAYERS + 3], ['layers encoded', LAYERS]]);
  });
});

/** A stream that records what is written, claiming to be a terminal or not. */
function sink(isTTY: boolean): ProgressStream & { text: () => string } {
  const chunks: string[] = [];
  const s = new Writable({ write: (c, _e, cb) => (chunks.push(String(c)), cb()) }) as Writable & { isTTY?: boolean; columns?: number };
  s.isTTY = isTTY;
  s.columns = 120;
  return Object.assign(s, { text: () => chunks.join('') });
}

function feed(label: string, flags: Parameters<typeof progressReporter>[1], stream: ProgressStream): void {
  const bar = progressReporter(label, flags, stream);
  for (let i = 0; i <= 11; i++) bar.update({ phase: 'weights', done: i, total: 11 });
  for (let i = 0; i <= 40; i += 8) bar.update({ phase: 'tokens', done: Math.min(i, 37), total: 37 });
  bar.stop();
}

describe('the CLI progress reporter', () => {
  it('draws a bar on a terminal, ending at 100% on its own line', () => {
    const s = sink(true);
    feed('loading m', {}, s);
    const out = s.text();
    expect(out).toMatch(/bitnet: loading m weights \[█+\] 11\/11 100%/);
    expect(out).toMatch(/bitnet: loading m tokens \[█+\] 37\/37 100%/);
    expect(out.endsWith('\n')).toBe(true);
  });

  it('writes nothing off a terminal, or with --quiet, or with --json', () => {
    for (const [tty, flags] of [[false, {}], [true, { quiet: true }], [true, { json: true }], [false, { quiet: true, verbose: true }]] as const) {
      const s = sink(tty);
      feed('loading m', flags, s);
      expect(s.text(), JSON.stringify({ tty, flags })).toBe('');
    }
  });

  it('with --verbose off a terminal: plain lines, at most one per tenth of each phase, the last at the total', () => {
    const s = sink(false);
    feed('loading m', { verbose: true }, s);
    const lines = s.text().trimEnd().split('\n');
    expect(s.text()).not.toMatch(/\x1b|\r/);
    for (const l of lines) expect(l).toMatch(/^bitnet: loading m (weights|tokens) \d+\/\d+$/);
    expect(lines).toContain('bitnet: loading m weights 11/11');
    expect(lines[lines.length - 1]).toBe('bitnet: loading m tokens 37/37');
    expect(lines.filter((l) => l.includes('weights')).length).toBeLessThanOrEqual(11);
    expect(progressMode({ verbose: true, json: true }, sink(true))).toBe('lines');
  });
});

describe('the CLI with pipes for stdout and stderr', () => {
  /** Cursor movement, carriage returns and bar glyphs: what a bar would leave in a log. */
  const BAR_GARBAGE = /\x1b|\r|[█░]/;
  const cases: { name: string; args: string[]; verboseLine: RegExp }[] = [
    { name: 'run', args: ['run', 'Hello', '--greedy', '-n', '4', '--json'], verboseLine: /^bitnet: loading tiny-bitnet weights 11\/11$/m },
    { name: 'perplexity', args: ['perplexity', '--tokens', 'golden/tiny-bitnet/heldout_tokens.i32.bin', '-n', '300', '-w', '64', '--json'], verboseLine: /^bitnet: perplexity tokens scored 300\/300$/m },
    { name: 'synth', args: ['synth', '--shape', 'tiny', '-o', join(dir, 'synth.gguf'), '--json'], verboseLine: /^bitnet: synth tiny tq2_0 tensors written 24\/24$/m },
    { name: 'convert', args: ['convert', 'models/tiny-bitnet', '--to', 'tq1_0', '-o', join(dir, 'c.gguf'), '--json'], verboseLine: /^bitnet: convert tiny-bitnet to tq1_0 layers encoded 8\/8$/m },
  ];
  for (const c of cases) {
    it(`${c.name}: one JSON line on stdout, no bar on stderr; --verbose adds plain progress lines`, async () => {
      const r = await runCli(c.args);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.split('\n')).toHaveLength(2);
      JSON.parse(r.stdout);
      expect(r.stderr).not.toMatch(BAR_GARBAGE);
      expect(r.stderr).not.toMatch(c.verboseLine);
      const v = await runCli([...c.args, '--verbose']);
      expect(v.code, v.stderr).toBe(0);
      expect(v.stderr).toMatch(c.verboseLine);
      expect(v.stderr + v.stdout).not.toMatch(BAR_GARBAGE);
    });
  }
});
