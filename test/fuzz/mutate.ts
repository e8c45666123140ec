/**
 * Byte-level mutations of valid files for the fuzz tests: bit flips, byte sets, truncation, insertion and deletion
 * of byte runs, a region copied over another, and little-endian integer fields overwritten with boundary values.
 * Positions are drawn as plain naturals and taken modulo the file length, so one arbitrary serves every base file.
 */
import fc from 'fast-check';

export type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'set'; readonly at: number; readonly byte: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'delete'; readonly at: number; readonly n: number }
  | { readonly kind: 'copy'; readonly from: number; readonly to: number; readonly n: number }
  | { readonly kind: 'int'; readonly at: number; readonly width: 4 | 8; readonly value: bigint };

/** Values that sit on a boundary of some check: 0, 1, small, 2^31, 2^32 − 1, 2^53, 2^63, 2^64 − 1, … */
export const BOUNDARY_VALUES: readonly bigint[] = [
  0n, 1n, 2n, 3n, 4n, 7n, 8n, 31n, 32n, 64n, 255n, 256n, 0x7fffn, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 2n ** 32n,
  2n ** 40n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 60n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n,
];

/** A u64 that is usually a boundary value, sometimes anything. */
export const interestingU64: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...BOUNDARY_VALUES) },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 4096n }) },
);

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.oneof(fc.constantFrom(0, 1, 0x7f, 0x80, 0xff), fc.nat({ max: 255 })) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 16 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('copy' as const), from: fc.nat(), to: fc.nat(), n: fc.integer({ min: 1, max: 32 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('int' as const), at: fc.nat(), width: fc.constantFrom(4 as const, 8 as const), value: interestingU64 }) },
);

/** 1 to `max` mutations. */
export function mutationsArb(max = 4): fc.Arbitrary<Mutation[]> {
  return fc.array(mutationArb, { minLength: 1, maxLength: max });
}

/** Writes `value` (taken modulo 2^(8·width)) little-endian at `at`, clipped to the buffer. */
export function writeUint(b: Uint8Array, at: number, width: 4 | 8, value: bigint): void {
  let x = BigInt.asUintN(width * 8, value);
  for (let i = 0; i < width && at + i < b.length; i++) {
    b[at + i] = Number(x & 0xffn);
    x >>= 8n;
  }
}

/** A mutated copy of `base`; positions that fall past the (current) end wrap around. */
export function applyMutations(base: Uint8Array, mutations: readonly Mutation[], window = base.length): Uint8Array {
  let b = Uint8Array.from(base);
  const pos = (x: number, len = b.length) => (len === 0 ? 0 : x % Math.max(1, Math.min(window, len)));
  for (const m of mutations) {
    switch (m.kind) {
      case 'flip':
        if (b.length > 0) b[pos(m.at)] ^= 1 << m.bit;
        break;
      case 'set':
        if (b.length > 0) b[pos(m.at)] = m.byte;
        break;
      case 'truncate':
        b = b.slice(0, pos(m.at, b.length + 1));
        break;
      case 'insert': {
        const at = pos(m.at, b.length + 1);
        const out = new Uint8Array(b.length + m.bytes.length);
        out.set(b.subarray(0, at));
        out.set(m.bytes, at);
        out.set(b.subarray(at), at + m.bytes.length);
        b = out;
        break;
      }
      case 'delete': {
        if (b.length === 0) break;
        const at = pos(m.at);
        const removed = Math.min(m.n, b.length - at);
        const out = new Uint8Array(b.length - removed);
        out.set(b.subarray(0, at));
        out.set(b.subarray(at + removed), at);
        b = out;
        break;
      }
      case 'copy': {
        if (b.length === 0) break;
        const from = pos(m.from);
        const to = pos(m.to);
        b.copyWithin(to, from, Math.min(b.length, from + m.n));
        break;
      }
      case 'int':
        if (b.length > 0) writeUint(b, pos(m.at), m.width, m.value);
        break;
    }
  }
  return b;
}
