/**
 * Shape checks for every op, written once from the Args documentation in ops.ts and wrapped around each backend's
 * op table (`withShapeChecks`), so that a backend's ops can assume consistent shapes and every backend rejects the
 * same mistakes with the same ShapeError.
 */
import { ShapeError } from '../errors.js';
import type { BackendOps, GatedArgs, OpArgs, OpName } from './ops.js';

function shape(op: string, what: string, b: { rows: number; cols: number }, rows: number, cols: number): void {
  if (b.rows !== rows || b.cols !== cols) throw new ShapeError(op, `${what} [${rows}, ${cols}]`, `[${b.rows}, ${b.cols}]`);
}

function gated(op: string, a: GatedArgs): void {
  shape(op, 'gate', a.gate, a.out.rows, a.out.cols);
  shape(op, 'up', a.up, a.out.rows, a.out.cols);
}

const CHECKS: { readonly [K in OpName]: (a: OpArgs[K]) => void } = {
  embed(a) {
    shape('embed', 'out', a.out, a.tokenIds.length, a.table.cols);
  },
  rmsnorm(a) {
    shape('rmsnorm', 'x', a.x, a.x.rows, a.weight.length);
    shape('rmsnorm', 'out', a.out, a.x.rows, a.weight.length);
  },
  quantizeActivations(a) {
    shape('quantizeActivations', 'out', a.out, a.x.rows, a.x.cols);
  },
  ternaryMatmul(a) {
    shape('ternaryMatmul', 'x', a.x, a.x.rows, a.w.cols);
    shape('ternaryMatmul', 'out', a.out, a.x.rows, a.w.rows);
  },
  ternaryMatmulFloat(a) {
    shape('ternaryMatmulFloat', 'x', a.x, a.x.rows, a.w.cols);
    shape('ternaryMatmulFloat', 'out', a.out, a.x.rows, a.w.rows);
  },
  rope(a) {
    if (a.headDim % 2 !== 0 || a.x.cols % a.headDim !== 0) throw new ShapeError('rope', `cols a multiple of an even headDim ${a.headDim}`, `${a.x.cols}`);
    if (!Number.isSafeInteger(a.startPos) || a.startPos < 0) throw new ShapeError('rope', 'startPos a non-negative integer', `${a.startPos}`);
  },
  attention(a) {
    const op = 'attention';
    const T = a.q.rows;
    const kvDim = a.numKvHeads * a.headDim;
    if (a.numHeads % a.numKvHeads !== 0) throw new ShapeError(op, 'numKvHeads dividing numHeads', `${a.numKvHeads} / ${a.numHeads}`);
    shape(op, 'q', a.q, T, a.numHeads * a.headDim);
    shape(op, 'out', a.out, T, a.numHeads * a.headDim);
    shape(op, 'k', a.k, T, kvDim);
    shape(op, 'v', a.v, T, kvDim);
    const c = a.cache;
    if (c.kvDim !== kvDim || a.layer < 0 || a.layer >= c.layers || a.startPos < 0 || a.startPos + T > c.capacity) {
      throw new ShapeError(op, `a cache with kvDim ${kvDim}, layer ${a.layer} and room for positions ${a.startPos}..${a.startPos + T - 1}`, `kvDim ${c.kvDim}, ${c.layers} layers, capacity ${c.capacity}`);
    }
  },
  reluSqMul: (a) => gated('reluSqMul', a),
  siluMul: (a) => gated('siluMul', a),
  add(a) {
    shape('add', 'a', a.a, a.out.rows, a.out.cols);
    shape('add', 'b', a.b, a.out.rows, a.out.cols);
  },
  lmHead(a) {
    if (a.fromRow < 0 || a.fromRow >= a.x.rows) throw new ShapeError('lmHead', `fromRow in [0, ${a.x.rows - 1}]`, `${a.fromRow}`);
    shape('lmHead', 'x', a.x, a.x.rows, a.table.cols);
    shape('lmHead', 'out', a.out, a.x.rows - a.fromRow, a.table.rows);
  },
};

/** The op table with every op's shapes checked before the backend's implementation runs. */
export function withShapeChecks(ops: BackendOps): BackendOps {
  const checked = {} as Record<OpName, (a: never) => void>;
  for (const name of Object.keys(CHECKS) as OpName[]) {
    const check = CHECKS[name] as (a: unknown) => void;
    const run = ops[name] as (a: unknown) => void;
    checked[name] = (a: never) => {
      check(a);
      run(a);
    };
  }
  return checked as unknown as BackendOps;
}

/** `into` for a read of `length` values as `kind` (ShapeError when it is not that), or a new array when absent. */
export function readTarget<K extends Float32ArrayConstructor | Float64ArrayConstructor>(kind: K, length: number, into: Float64Array | Float32Array | undefined): InstanceType<K> {
  if (into === undefined) return new kind(length) as InstanceType<K>;
  if (!(into instanceof kind) || into.length !== length) throw new ShapeError('read', `into: a ${kind.name} of ${length} values`, `a ${into.constructor.name} of ${into.length}`);
  return into as InstanceType<K>;
}

/** A host buffer's values copied into `into` (checked as readTarget does) or into a new array. */
export function readCopy<K extends Float32ArrayConstructor | Float64ArrayConstructor>(kind: K, data: ArrayLike<number>, into: Float64Array | Float32Array | undefined): InstanceType<K> {
  const out = readTarget(kind, data.length, into);
  out.set(data);
  return out;
}
