/**
 * GGUF v3 writer: metadata of every value type, tensor infos, aligned tensor data. Used by `bitnet convert` and
 * `bitnet synth`, and by tests to build files. Writes through a file descriptor, tensor by tensor, so large models
 * are not assembled in memory.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { GGUF_VALUE_TYPES, type GgufArray, type GgufScalar, type GgufValue, type GgufValueType } from './metadata.js';
import { align, GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC } from './reader.js';

export interface GgufTensorToWrite {
  readonly name: string;
  /** ne0 first. */
  readonly dims: readonly number[];
  readonly typeId: number;
  readonly data: Uint8Array;
}

/**
 * A tensor whose bytes are produced only when the writer reaches it (see {@link writeGgufStream}): its size is
 * known up front, for the header, and `chunks()` yields the data in order, in pieces of any length.
 */
export interface GgufTensorSource {
  readonly name: string;
  /** ne0 first. */
  readonly dims: readonly number[];
  readonly typeId: number;
  /** Bytes `chunks()` yields in total. */
  readonly byteSize: number;
  /** Called once, when this tensor's turn comes; chunks may be reused buffers (each is written before the next). */
  chunks(): Iterable<Uint8Array>;
}

/** Convenience constructors for metadata values. */
export const gguf = {
  u32: (value: number): GgufValue => ({ type: 'u32', value }),
  i32: (value: number): GgufValue => ({ type: 'i32', value }),
  f32: (value: number): GgufValue => ({ type: 'f32', value }),
  bool: (value: boolean): GgufValue => ({ type: 'bool', value }),
  string: (value: string): GgufValue => ({ type: 'string', value }),
  strings: (items: readonly string[]): GgufValue => ({ type: 'array', value: { elementType: 'string', items } }),
  i32s: (items: readonly number[]): GgufValue => ({ type: 'array', value: { elementType: 'i32', items } }),
  f32s: (items: readonly number[]): GgufValue => ({ type: 'array', value: { elementType: 'f32', items } }),
};

class Bytes {
  private chunks: Uint8Array[] = [];
  length = 0;

  push(b: Uint8Array): void {
    this.chunks.push(b);
    this.length += b.length;
  }

  num(size: number, set: (v: DataView) => void): void {
    const b = new Uint8Array(size);
    set(new DataView(b.buffer));
    this.push(b);
  }

  u32(v: number): void {
    this.num(4, (d) => d.setUint32(0, v, true));
  }

  u64(v: number | bigint): void {
    this.num(8, (d) => d.setBigUint64(0, BigInt(v), true));
  }

  string(s: string): void {
    const b = new TextEncoder().encode(s);
    this.u64(b.length);
    this.push(b);
  }

  concat(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

function writeScalar(out: Bytes, type: GgufValueType, v: GgufScalar | GgufArray): void {
  switch (type) {
    case 'u8': return out.num(1, (d) => d.setUint8(0, v as number));
    case 'i8': return out.num(1, (d) => d.setInt8(0, v as number));
    case 'u16': return out.num(2, (d) => d.setUint16(0, v as number, true));
    case 'i16': return out.num(2, (d) => d.setInt16(0, v as number, true));
    case 'u32': return out.num(4, (d) => d.setUint32(0, v as number, true));
    case 'i32': return out.num(4, (d) => d.setInt32(0, v as number, true));
    case 'f32': return out.num(4, (d) => d.setFloat32(0, v as number, true));
    case 'f64': return out.num(8, (d) => d.setFloat64(0, v as number, true));
    case 'u64': return out.num(8, (d) => d.setBigUint64(0, BigInt(v as number | bigint), true));
    case 'i64': return out.num(8, (d) => d.setBigInt64(0, BigInt(v as number | bigint), true));
    case 'bool': return out.num(1, (d) => d.setUint8(0, v ? 1 : 0));
    case 'string': return out.string(v as string);
    case 'array': {
      const a = v as GgufArray;
      out.u32(GGUF_VALUE_TYPES.indexOf(a.elementType));
      out.u64(a.items.length);
      for (const item of a.items) writeScalar(out, a.elementType, item);
      return;
    }
  }
}

/** Serialises the header (everything before the data section, padding included) and each tensor's data offset. */
export function encodeGgufHeader(
  metadata: ReadonlyMap<string, GgufValue>,
  tensors: readonly Pick<GgufTensorToWrite, 'name' | 'dims' | 'typeId'>[],
  sizes: readonly number[],
  alignment = GGUF_DEFAULT_ALIGNMENT,
): { header: Uint8Array; offsets: number[] } {
  const out = new Bytes();
  out.u32(GGUF_MAGIC);
  out.u32(3);
  out.u64(tensors.length);
  const meta = new Map(metadata);
  if (alignment !== GGUF_DEFAULT_ALIGNMENT) meta.set('general.alignment', { type: 'u32', value: alignment });
  out.u64(meta.size);
  for (const [key, v] of meta) {
    out.string(key);
    out.u32(GGUF_VALUE_TYPES.indexOf(v.type));
    writeScalar(out, v.type, v.value);
  }
  const offsets: number[] = [];
  let rel = 0;
  tensors.forEach((t, i) => {
    out.string(t.name);
    out.u32(t.dims.length);
    for (const d of t.dims) out.u64(d);
    out.u32(t.typeId);
    out.u64(rel);
    offsets.push(rel);
    rel = align(rel + sizes[i], alignment);
  });
  out.push(new Uint8Array(align(out.length, alignment) - out.length));
  return { header: out.concat(), offsets };
}

/** Writes a complete GGUF v3 file. */
export function writeGguf(path: string, metadata: ReadonlyMap<string, GgufValue>, tensors: readonly GgufTensorToWrite[], alignment = GGUF_DEFAULT_ALIGNMENT): void {
  writeGgufStream(path, metadata, tensors.map((t) => ({ name: t.name, dims: t.dims, typeId: t.typeId, byteSize: t.data.length, chunks: () => [t.data] })), alignment);
}

/**
 * Writes a complete GGUF v3 file whose tensor data is produced tensor by tensor, chunk by chunk, so that memory is
 * bounded by the largest chunk rather than the model. A source that yields more or fewer than its `byteSize`
 * bytes is a RangeError naming the tensor (the header already promised that size); the partial file is left as is.
 */
export function writeGgufStream(path: string, metadata: ReadonlyMap<string, GgufValue>, tensors: readonly GgufTensorSource[], alignment = GGUF_DEFAULT_ALIGNMENT): void {
  const { header } = encodeGgufHeader(metadata, tensors, tensors.map((t) => t.byteSize), alignment);
  const fd = openSync(path, 'w');
  try {
    let pos = writeAll(fd, header, 0);
    const dataStart = pos;
    for (const t of tensors) {
      const padded = align(pos - dataStart, alignment) + dataStart;
      if (padded > pos) pos = writeAll(fd, new Uint8Array(padded - pos), pos);
      const start = pos;
      for (const chunk of t.chunks()) {
        if (pos - start + chunk.length > t.byteSize) throw new RangeError(`writeGgufStream: tensor '${t.name}' yields more than its ${t.byteSize} bytes`);
        pos = writeAll(fd, chunk, pos);
      }
      if (pos - start !== t.byteSize) throw new RangeError(`writeGgufStream: tensor '${t.name}' yields ${pos - start} bytes, not its ${t.byteSize}`);
    }
  } finally {
    closeSync(fd);
  }
}

function writeAll(fd: number, bytes: Uint8Array, position: number): number {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
  return position + bytes.length;
}
