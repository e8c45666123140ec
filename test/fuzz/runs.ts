/**
 * Shared by the fuzz tests (test/fuzz/*.test.ts, docs/fuzzing.md): how many cases each property runs, the
 * per-case time bound, the check that only our typed errors escape, and the allocation and prototype checks.
 *
 * - `FUZZ_RUNS` multiplies every property's CI count (default 1; `npm run fuzz` sets 20). Each test's title ends
 *   with its case count, "[N cases]", so a run's total can be read off the reporter.
 * - `FUZZ_SEED` replays a failure: fast-check prints the seed (and the path) of a failing property.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { BitnetError } from '../../src/errors.js';

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number, got '${raw}'`);
  return v;
}

/** The multiplier applied to every CI count. */
export const FUZZ_SCALE = envNumber('FUZZ_RUNS', 1);
const SEED = process.env.FUZZ_SEED === undefined || process.env.FUZZ_SEED === '' ? undefined : Number(process.env.FUZZ_SEED);

/** A property's case count: its CI count times FUZZ_RUNS. */
export function runs(ciRuns: number): number {
  return Math.max(1, Math.round(ciRuns * FUZZ_SCALE));
}

/** A test title that reports its case count. */
export function titled(what: string, numRuns: number): string {
  return `${what} [${numRuns} cases]`;
}

/** fast-check parameters: the count, and FUZZ_SEED when replaying. */
export function params(numRuns: number): { numRuns: number; seed?: number } {
  return SEED === undefined ? { numRuns } : { numRuns, seed: SEED };
}

/**
 * Test-level timeout for `numRuns` cases of about `msPerCase` each, with a floor and 10× headroom (two shared
 * cores): a hang in async code hits it; a case that is merely slow hits {@link CASE_LIMIT_MS} first.
 */
export function timeoutFor(numRuns: number, msPerCase: number): number {
  return Math.max(60_000, Math.ceil(numRuns * msPerCase * 10));
}

/**
 * No single case may take longer (ms). Inputs are at most a few hundred KB, so a parser that takes this long is
 * super-linear (a backtracking regex, a quadratic walk) or stuck; generous for GC pauses on a shared machine.
 */
export const CASE_LIMIT_MS = 3000;

function checkElapsed(start: number, what: string): void {
  const ms = performance.now() - start;
  if (ms > CASE_LIMIT_MS) throw new Error(`${what}: one case took ${ms.toFixed(0)} ms (limit ${CASE_LIMIT_MS} ms)`);
}

/**
 * Runs `fn` on one input: a result, or one of our typed errors (a BitnetError, or `extraTyped`). Anything else
 * (TypeError, RangeError, a library's bare Error) is rethrown, failing the property; so is a case over the time
 * bound.
 */
export function typedOutcome<T>(what: string, fn: () => T, extraTyped?: (err: unknown) => boolean): Outcome<T> {
  const start = performance.now();
  try {
    const value = fn();
    checkElapsed(start, what);
    return { ok: true, value };
  } catch (err) {
    return typedFailure(what, start, err, extraTyped);
  }
}

/** {@link typedOutcome} for async work. */
export async function typedOutcomeAsync<T>(what: string, fn: () => Promise<T>, extraTyped?: (err: unknown) => boolean): Promise<Outcome<T>> {
  const start = performance.now();
  try {
    const value = await fn();
    checkElapsed(start, what);
    return { ok: true, value };
  } catch (err) {
    return typedFailure(what, start, err, extraTyped);
  }
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: Error };

/** A typed error as a failed outcome (after the time check); anything else is rethrown as the bug it is. */
function typedFailure(what: string, start: number, err: unknown, extraTyped?: (err: unknown) => boolean): { ok: false; error: Error } {
  checkElapsed(start, what);
  if (err instanceof BitnetError || extraTyped?.(err) === true) return { ok: false, error: err as Error };
  throw err;
}

/** A fresh folder for the files cases are written to: in /dev/shm (memory) where there is one, else the OS temp. */
export function scratchDir(prefix: string): string {
  if (existsSync('/dev/shm')) {
    try {
      return mkdtempSync(join('/dev/shm', prefix));
    } catch {
      // Not writable here: fall through.
    }
  }
  return mkdtempSync(join(tmpdir(), prefix));
}

// -----------------------------------------------------------------------------------------------------------------
// Allocation measurement
// -----------------------------------------------------------------------------------------------------------------

const TYPED_ARRAYS = ['Uint8Array', 'Int8Array', 'Uint16Array', 'Int16Array', 'Uint32Array', 'Int32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array'] as const;

/** What {@link measureAllocations} saw: the largest single buffer and the sum of all, in bytes. */
export interface Allocations {
  largest: number;
  total: number;
}

let recording: Allocations | null = null;

/** The spy subclasses, built once: each records `new X(length)` while a measurement is on, then allocates. */
const spies: [name: string, original: unknown, spy: unknown][] = [...TYPED_ARRAYS, 'ArrayBuffer', 'SharedArrayBuffer'].flatMap((name) => {
  const Original = (globalThis as unknown as Record<string, unknown>)[name] as (new (...args: unknown[]) => object) & { BYTES_PER_ELEMENT?: number };
  if (typeof Original !== 'function') return [];
  const perElement = Original.BYTES_PER_ELEMENT ?? 1;
  const Spy = class extends Original {
    constructor(...args: unknown[]) {
      if (recording !== null && typeof args[0] === 'number' && args[0] >= 0) {
        const bytes = args[0] * perElement;
        recording.largest = Math.max(recording.largest, bytes);
        recording.total += bytes;
      }
      super(...args);
    }
    static override [Symbol.hasInstance](x: unknown): boolean {
      return x instanceof Original;
    }
  };
  Object.defineProperty(Spy, 'name', { value: name });
  return [[name, Original, Spy]];
});

/**
 * Runs `fn` (synchronous) with every typed-array and ArrayBuffer constructor that code reaches through the global
 * object replaced by a subclass that records the bytes each `new X(length)` asks for, before allocating them; a
 * length that could never be allocated is recorded too (the property then fails on the size, not on a RangeError).
 * `instanceof` keeps working for arrays made before or during the call. Restored before returning.
 */
export function measureAllocations<T>(fn: () => T): { result: T; allocations: Allocations } {
  const seen: Allocations = { largest: 0, total: 0 };
  const g = globalThis as unknown as Record<string, unknown>;
  for (const [name, , spy] of spies) g[name] = spy;
  recording = seen;
  try {
    return { result: fn(), allocations: seen };
  } finally {
    recording = null;
    for (const [name, original] of spies) g[name] = original;
  }
}

// -----------------------------------------------------------------------------------------------------------------
// Prototype pollution
// -----------------------------------------------------------------------------------------------------------------

const PROTOTYPES: readonly [string, object][] = [
  ['Object.prototype', Object.prototype],
  ['Array.prototype', Array.prototype],
  ['Function.prototype', Function.prototype],
  ['String.prototype', String.prototype],
  ['Map.prototype', Map.prototype],
];

/** The own keys of the built-in prototypes, to compare after parsing hostile JSON. */
export function prototypeSnapshot(): Map<string, string[]> {
  return new Map(PROTOTYPES.map(([name, p]) => [name, Reflect.ownKeys(p).map(String).sort()]));
}

/** Throws when a built-in prototype gained or lost a key since `before`, or `{}` reads a planted key. */
export function expectPrototypesUntouched(before: Map<string, string[]>, planted: readonly string[]): void {
  for (const [name, p] of PROTOTYPES) {
    const now = Reflect.ownKeys(p).map(String).sort();
    const was = before.get(name) ?? [];
    if (now.length !== was.length || now.some((k, i) => k !== was[i])) {
      throw new Error(`${name} changed: ${JSON.stringify(now.filter((k) => !was.includes(k)))} added`);
    }
  }
  const empty: Record<string, unknown> = {};
  for (const key of planted) if (empty[key] !== undefined) throw new Error(`{}.${key} is ${String(empty[key])}: Object.prototype was polluted`);
}

/** Keys an attacker uses to reach a prototype through JSON. */
export const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

/** Arbitrary JSON text that nests `__proto__` / `constructor.prototype` objects carrying `payload` keys. */
export function pollutingJson(payload: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<string> {
  return fc.tuple(fc.constantFrom('__proto__', 'constructor.prototype', 'constructor', 'prototype'), payload).map(([path, p]) => {
    let inner = JSON.stringify(p);
    for (const key of path.split('.').reverse()) inner = `{${JSON.stringify(key)}: ${inner}}`;
    return inner;
  });
}

export { fc };
