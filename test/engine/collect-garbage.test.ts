/**
 * collectGarbage (src/engine/collect-garbage.ts): a full collection after a model load, without leaving a `gc`
 * behind. Run in a child process, so that the check sees a Node started without --expose-gc and the test runner's
 * own heap does not blur the figures.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const dist = new URL('../../dist/engine/collect-garbage.js', import.meta.url).href;

function child(script: string, flags: string[] = [], env: Record<string, string> = {}): Record<string, unknown> {
  const r = spawnSync(process.execPath, [...flags, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

const script = `
  import { runInNewContext } from 'node:vm';
  const { collectGarbage } = await import(${JSON.stringify(dist)});
  // ~60 MB of unreachable objects, old enough to need a full collection.
  let junk = Array.from({ length: 400 }, (_, i) => Array.from({ length: 5000 }, (_, j) => ({ i, j })));
  await new Promise((r) => setTimeout(r, 10));
  junk = null;
  const before = process.memoryUsage().heapUsed;
  const ran = collectGarbage();
  const after = process.memoryUsage().heapUsed;
  console.log(JSON.stringify({ ran, before, after, globalGc: typeof globalThis.gc, laterContextGc: runInNewContext('typeof gc') }));`;

describe('collectGarbage', () => {
  it('frees unreachable memory and leaves no gc in the global scope or in later contexts', () => {
    const r = child(script);
    expect(r.ran).toBe(true);
    expect(r.before as number).toBeGreaterThan(40e6);
    expect(r.after as number).toBeLessThan(20e6);
    expect(r).toMatchObject({ globalGc: 'undefined', laterContextGc: 'undefined' });
  });

  it('uses the program\'s own gc under node --expose-gc, and keeps it', () => {
    const r = child(script, ['--expose-gc']);
    expect(r).toMatchObject({ ran: true, globalGc: 'function', laterContextGc: 'function' });
    expect(r.after as number).toBeLessThan(20e6);
  });

  it('does nothing with BITNET_COLLECT_GARBAGE=off', () => {
    const r = child(script, [], { BITNET_COLLECT_GARBAGE: 'off' });
    expect(r.ran).toBe(false);
    expect(r.after as number).toBeGreaterThan(40e6);
  });
});
