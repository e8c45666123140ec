/**
 * forEachBackend: runs an op's property suite once per registered backend, with the backend in the suite title,
 * e.g. "ternaryMatmul [reference]" (tfjs `describeWithFlags(…, ALL_ENVS)`). Backends are found through the
 * registry's public functions only, so a new backend is specified the moment it registers, with no spec change.
 * One more runs beside them: `cuda-emulated`, the cuda backend's TypeScript and kernel source on a CPU stand-in for
 * the GPU (test/helpers/cuda-emulator), so that the CUDA kernels meet every spec where no GPU exists.
 *
 * Nothing passes silently:
 * - no registered backend, or none available, throws at collection;
 * - a registered backend that is unavailable here gets a skipped suite titled "… skipped: <reason>";
 * - an op a backend binds to `unsupported(...)` (UnsupportedOpError) marks the test skipped with the note
 *   "unsupported: <reason>" (its own status, neither pass nor fail);
 * - every property asserts that fast-check really ran `numRuns` cases.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../src/backends/backend.js';
import type { ActivationBuffer, OpName } from '../src/backends/ops.js';
import { backendNames, createBackend } from '../src/backends/registry.js';
import { BackendUnavailableError, UnsupportedOpError } from '../src/errors.js';
import { packTernaryRows } from '../src/formats/ternary-rows.js';
import type { TernaryMatrix } from '../src/model/weights.js';
import { fromArray } from '../src/tensor.js';
import { createEmulatedCudaBackend, EMULATED_CUDA, emulatedCudaUnavailable } from '../test/helpers/cuda-emulator/backend.js';
import type { Mat, Ternary } from './arbitraries.js';
import { tolerance, type Precision, type Tolerance, type ToleranceKey } from './tolerances.js';

/** Default fast-check runs per property; heavy properties pass fewer. */
export const NUM_RUNS = 100;

interface Discovered {
  readonly name: string;
  /** null when the backend can be created here. */
  readonly unavailable: string | null;
  readonly create: () => Promise<Backend>;
}

/**
 * Every registered backend and whether it can run here. The registry exposes names and `createBackend` only, so
 * availability is probed by creating each backend once (then disposing it); a BackendUnavailableError carries the
 * descriptor's `unavailableReason()`. Any other error is a broken backend and fails the whole spec run.
 */
async function discover(): Promise<Discovered[]> {
  const found: Discovered[] = [];
  for (const name of backendNames()) {
    try {
      const backend = await createBackend(name);
      backend.dispose();
      found.push({ name, unavailable: null, create: () => createBackend(name) });
    } catch (e) {
      if (!(e instanceof BackendUnavailableError)) throw e;
      found.push({ name, unavailable: e.reason, create: () => createBackend(name) });
    }
  }
  // Not a registered backend: the cuda backend and its kernel source run on the CPU (test/helpers/cuda-emulator),
  // so that the kernels meet every spec where no GPU exists. Attention calls are split toward 4 blocks rather than
  // a device's 256: the spec's calls (≤ 4 rows, ≤ 2 kv heads, ≤ 700 positions) then take both paths of the kernel —
  // one block walking several chunks of keys, and several spans of chunks combined — where 256 would give every
  // block a single chunk (that plan runs in test/backends/cuda-emulated-long-context.test.ts and the golden tests).
  found.push({ name: EMULATED_CUDA, unavailable: emulatedCudaUnavailable(), create: async () => createEmulatedCudaBackend({ attentionBlocks: 4 }).backend });
  return found;
}

const discovered = await discover();

/** What a suite body sees: the backend under test (valid inside tests) and helpers bound to it. */
export interface BackendUnderTest {
  readonly name: string;
  /** The live backend; only inside a test (it is created in beforeAll). */
  readonly backend: Backend;
  readonly precision: Precision;
  /** The tolerance row for this backend's precision. */
  tolerance(key: ToleranceKey): Tolerance;
  /**
   * Registers a property test: fast-check draws `numRuns` cases from `arb` and `check` must not throw for any.
   * fc.assert reports the seed and shrunk path on failure.
   */
  property<T>(title: string, arb: fc.Arbitrary<T>, check: (value: T) => Promise<void>, options?: { numRuns?: number }): void;
}

/** Runs `suite` once per available backend, titled "`op` [`backend`]"; unavailable ones appear as skipped. */
export function forEachBackend(op: OpName | 'read' | 'argmaxRows', suite: (b: BackendUnderTest) => void): void {
  if (discovered.length === 0) throw new Error(`forEachBackend(${op}): no backend is registered (src/backends/registry.ts)`);
  if (discovered.every((d) => d.unavailable !== null)) {
    const why = discovered.map((d) => `${d.name}: ${d.unavailable}`).join('; ');
    throw new Error(`forEachBackend(${op}): no registered backend is available here (${why})`);
  }
  for (const d of discovered) {
    if (d.unavailable !== null) {
      const reason = d.unavailable;
      describe.skip(`${op} [${d.name}] skipped: ${reason}`, () => {
        it.skip(`skipped: ${reason}`, () => {});
      });
      continue;
    }
    describe(`${op} [${d.name}]`, () => {
      let live: Backend | undefined;
      beforeAll(async () => {
        live = await d.create();
      });
      afterAll(() => live?.dispose());
      const backendOf = (): Backend => {
        if (live === undefined) throw new Error(`backend '${d.name}' is only available inside a test`);
        return live;
      };
      const b: BackendUnderTest = {
        name: d.name,
        get backend() {
          return backendOf();
        },
        get precision() {
          return backendOf().info().precision;
        },
        tolerance: (key) => tolerance(key, backendOf().info().precision),
        property(title, arb, check, options = {}) {
          const numRuns = options.numRuns ?? NUM_RUNS;
          it(title, async (ctx) => {
            let runs = 0;
            let unsupported: UnsupportedOpError | undefined;
            const prop = fc.asyncProperty(arb, async (value) => {
              // Once an op is known unsupported, fail fast so that shrinking does not run the backend again.
              if (unsupported !== undefined) throw unsupported;
              try {
                await check(value);
              } catch (e) {
                const u = findUnsupported(e);
                if (u !== undefined) unsupported = u;
                throw e;
              }
              runs++;
            });
            try {
              await fc.assert(prop, { numRuns });
            } catch (e) {
              if (unsupported !== undefined) ctx.skip(`unsupported: ${unsupported.message}`);
              throw e;
            }
            // A property that ran no case proves nothing: fail rather than pass vacuously.
            expect(runs, `${title}: fast-check ran ${runs} of ${numRuns} cases`).toBeGreaterThanOrEqual(numRuns);
          });
        },
      };
      suite(b);
    });
  }
}

/** The UnsupportedOpError behind an error, following fast-check's `cause` chain. */
function findUnsupported(e: unknown): UnsupportedOpError | undefined {
  for (let c: unknown = e, depth = 0; c instanceof Error && depth < 8; c = c.cause, depth++) {
    if (c instanceof UnsupportedOpError) return c;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Host ⇄ backend through the public Backend interface only.

/** A new activation buffer holding `m`. */
export function load(backend: Backend, m: Mat): ActivationBuffer {
  const buf = backend.allocate(m.rows, m.cols);
  backend.write(buf, m.data);
  return buf;
}

/** Uploads ternary weights as the loaders do: packed into the ternary-rows layout, with scale β. */
export function uploadTernary(backend: Backend, w: Ternary, beta: number): ReturnType<Backend['uploadTernary']> {
  const matrix: TernaryMatrix = { rows: w.rows, cols: w.cols, packed: packTernaryRows(w.t, w.rows, w.cols), scale: beta, storage: 'hf-packed' };
  return backend.uploadTernary(matrix);
}

/** Uploads a float32 matrix [rows, cols] (embedding / lm_head table); `m` is float32-exact. */
export function uploadMatrix(backend: Backend, m: Mat): ReturnType<Backend['uploadMatrix']> {
  return backend.uploadMatrix(fromArray('f32', [m.rows, m.cols], Float32Array.from(m.data)));
}

/** Uploads a float32 vector (norm weights). */
export function uploadVector(backend: Backend, v: Float64Array): ReturnType<Backend['uploadVector']> {
  return backend.uploadVector(fromArray('f32', [v.length], Float32Array.from(v)));
}
