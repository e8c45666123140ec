/**
 * GGUF metadata values (formats §1.2) as typed JS values, and the one door through which loaders read them:
 * every accessor's error names the key and the file.
 */
import { FormatError } from '../../errors.js';

/** Value type tags, in file order (formats §1.2). */
export const GGUF_VALUE_TYPES = ['u8', 'i8', 'u16', 'i16', 'u32', 'i32', 'f32', 'bool', 'string', 'array', 'u64', 'i64', 'f64'] as const;
export type GgufValueType = (typeof GGUF_VALUE_TYPES)[number];

/** A scalar: numbers for ≤ 32-bit ints and floats, bigint for 64-bit ints. */
export type GgufScalar = number | bigint | boolean | string;

export interface GgufArray {
  readonly elementType: GgufValueType;
  readonly items: readonly (GgufScalar | GgufArray)[];
}

export interface GgufValue {
  readonly type: GgufValueType;
  readonly value: GgufScalar | GgufArray;
}

/** Read-only metadata with typed accessors. `file` names the source in errors. */
export class GgufMetadata {
  constructor(readonly file: string, readonly entries: ReadonlyMap<string, GgufValue>) {}

  has(key: string): boolean {
    return this.entries.has(key);
  }

  get(key: string): GgufValue | undefined {
    return this.entries.get(key);
  }

  private need(key: string): GgufValue {
    const v = this.entries.get(key);
    if (v === undefined) throw new FormatError(this.file, 'missing metadata key', { field: key });
    return v;
  }

  private fail(key: string, want: string, v: GgufValue): never {
    throw new FormatError(this.file, `metadata must be ${want}, found ${v.type}`, { field: key });
  }

  /** Any integer type, as a safe JS number. */
  integer(key: string, fallback?: number): number {
    const v = this.entries.get(key);
    if (v === undefined) {
      if (fallback !== undefined) return fallback;
      return this.need(key) as never;
    }
    if (typeof v.value === 'bigint') {
      if (v.value > BigInt(Number.MAX_SAFE_INTEGER) || v.value < BigInt(Number.MIN_SAFE_INTEGER)) this.fail(key, 'a safe integer', v);
      return Number(v.value);
    }
    if (typeof v.value === 'number' && Number.isSafeInteger(v.value) && v.type !== 'f32' && v.type !== 'f64') return v.value;
    return this.fail(key, 'an integer', v);
  }

  /** Any numeric type. */
  number(key: string, fallback?: number): number {
    const v = this.entries.get(key);
    if (v === undefined) {
      if (fallback !== undefined) return fallback;
      return this.need(key) as never;
    }
    if (typeof v.value === 'number') return v.value;
    if (typeof v.value === 'bigint') return Number(v.value);
    return this.fail(key, 'a number', v);
  }

  string(key: string, fallback?: string): string {
    const v = this.entries.get(key);
    if (v === undefined) {
      if (fallback !== undefined) return fallback;
      return this.need(key) as never;
    }
    if (v.type !== 'string') this.fail(key, 'a string', v);
    return v.value as string;
  }

  boolean(key: string, fallback?: boolean): boolean {
    const v = this.entries.get(key);
    if (v === undefined) {
      if (fallback !== undefined) return fallback;
      return this.need(key) as never;
    }
    if (v.type !== 'bool') this.fail(key, 'a bool', v);
    return v.value as boolean;
  }

  /** An array of strings (token lists, merges). */
  strings(key: string): string[] {
    const a = this.array(key);
    if (a.elementType !== 'string') throw new FormatError(this.file, `metadata must be an array of strings, found array of ${a.elementType}`, { field: key });
    return a.items as string[];
  }

  /** An array of numbers of any numeric element type (scores, token types). */
  numbers(key: string): number[] {
    const a = this.array(key);
    if (a.elementType === 'string' || a.elementType === 'array' || a.elementType === 'bool') {
      throw new FormatError(this.file, `metadata must be an array of numbers, found array of ${a.elementType}`, { field: key });
    }
    return a.items.map((x) => Number(x));
  }

  array(key: string): GgufArray {
    const v = this.need(key);
    if (v.type !== 'array') this.fail(key, 'an array', v);
    return v.value as GgufArray;
  }
}
