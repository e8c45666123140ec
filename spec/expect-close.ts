/**
 * expectClose: compares a backend's result with the spec's naive math element by element (llama.cpp
 * test-backend-ops order): a NaN, or an infinity where the other side is not the same infinity, fails before the
 * tolerance is consulted; then |got − want| ≤ abs + rel · scale must hold, where scale is |want| unless the caller
 * passes the op's own error scale. It throws (so fast-check reports the seed and path) naming the op, the
 * tolerance row, the first failing index (and its [row, col] when `cols` is given), got, want and the bound.
 */
import type { Tolerance } from './tolerances.js';

export interface CloseOptions {
  /** Per-element error scale, or one scale for all; |want| is used where it is larger. */
  readonly scale?: ArrayLike<number> | number;
  /** Row length, to print a failing index as [row, col]. */
  readonly cols?: number;
}

export function expectClose(op: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: Tolerance, options: CloseOptions = {}): void {
  if (got.length !== want.length) throw new Error(`${op}: got ${got.length} elements, want ${want.length}`);
  const where = (i: number): string =>
    options.cols === undefined ? `index ${i}` : `index ${i} [${Math.floor(i / options.cols)}, ${i % options.cols}]`;
  let firstFailure: string | undefined;
  let failures = 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    if (Number.isNaN(w)) throw new Error(`${op}: the spec's own expected value is NaN at ${where(i)} (a bug in spec/)`);
    let problem: string | undefined;
    if (Number.isNaN(g)) {
      problem = `got NaN, want ${w}`;
    } else if (!Number.isFinite(g) || !Number.isFinite(w)) {
      if (g !== w) problem = `got ${g}, want ${w} (infinity mismatch)`;
    } else {
      const s = options.scale === undefined ? 0 : typeof options.scale === 'number' ? options.scale : options.scale[i];
      const allowed = tol.abs + tol.rel * Math.max(Math.abs(w), s);
      const diff = Math.abs(g - w);
      if (!(diff <= allowed)) problem = `got ${g}, want ${w}, |diff| ${diff} > allowed ${allowed}`;
    }
    if (problem !== undefined) {
      failures++;
      firstFailure ??= `${where(i)}: ${problem}`;
    }
  }
  if (firstFailure !== undefined) {
    throw new Error(
      `${op}: ${failures} of ${want.length} elements out of tolerance ${tol.name} (rel ${tol.rel}, abs ${tol.abs}); first at ${firstFailure}`,
    );
  }
}

/** Exact equality of integer arrays (tolerance 0), with the same kind of report. */
export function expectExact(op: string, got: ArrayLike<number>, want: ArrayLike<number>, cols?: number): void {
  expectClose(op, got, want, { name: `${op}/exact`, rel: 0, abs: 0 }, cols === undefined ? {} : { cols });
}
