/**
 * GGUF reader (v2 and v3, formats §1): header, metadata of every value type (nested arrays included), tensor
 * infos, alignment, and bounds checks on everything before any tensor byte is read. Tensor bytes are read lazily
 * by positional reads, once per tensor, so a multi-GB file is never copied whole into the JS heap.
 *
 * Hostile input: every count and length is checked against the bytes the file still has before anything is
 * allocated, dims against overflow, tensor data against the file end, alignment and each other; each failure is a
 * FormatError naming the file, the field and the byte offset.
 */
import { closeSync, fstatSync } from 'node:fs';
import { FormatError } from '../../errors.js';
import { openForReading, readExactly, readExactlyInto } from '../file-io.js';
import { FileCursor } from './cursor.js';
import { GGUF_VALUE_TYPES, GgufMetadata, type GgufArray, type GgufScalar, type GgufValue, type GgufValueType } from './metadata.js';
import { retiredType, tensorByteSize, typeInfo, type GgufDialect } from './types.js';

export const GGUF_MAGIC = 0x46554747;
export const GGUF_DEFAULT_ALIGNMENT = 32;
/** ggml's GGML_MAX_DIMS. */
export const GGUF_MAX_DIMS = 4;
/** ggml's GGML_MAX_NAME counts the terminating NUL. */
export const GGUF_MAX_TENSOR_NAME = 63;
const MAX_NESTING = 8;

/** Tensor types of bitnet.cpp's fork that are layouts for one machine, not interchange formats (formats §2.7). */
const LUT_TYPES: Record<number, string> = { 38: 'TL1', 39: 'TL2' };

export type { GgufDialect };

export interface GgufTensorInfo {
  readonly name: string;
  /** ne0 first (contiguous); a PyTorch [out, in] weight has dims [in, out]. */
  readonly dims: readonly number[];
  readonly typeId: number;
  readonly typeName: string;
  /** Absolute byte offset of the data in the file. */
  readonly offset: number;
  readonly byteSize: number;
}

export interface GgufHeader {
  readonly version: number;
  readonly alignment: number;
  readonly dialect: GgufDialect;
  readonly metadata: GgufMetadata;
  readonly tensors: ReadonlyMap<string, GgufTensorInfo>;
  /** Absolute offset of the data section. */
  readonly dataStart: number;
}

/** Minimum bytes each metadata value type occupies, to bound counts before allocating. */
function minValueBytes(type: GgufValueType): number {
  switch (type) {
    case 'u8': case 'i8': case 'bool': return 1;
    case 'u16': case 'i16': return 2;
    case 'u32': case 'i32': case 'f32': return 4;
    case 'u64': case 'i64': case 'f64': case 'string': return 8;
    case 'array': return 12;
  }
}

function valueType(c: FileCursor, what: string): GgufValueType {
  const at = c.pos;
  const tag = c.u32(`${what} type`);
  const t = GGUF_VALUE_TYPES[tag];
  if (t === undefined) throw new FormatError(c.path, `unknown metadata value type ${tag}`, { field: what, offset: at });
  return t;
}

function scalar(c: FileCursor, type: GgufValueType, what: string): GgufScalar {
  switch (type) {
    case 'u8': return c.u8(what);
    case 'i8': return c.i8(what);
    case 'u16': return c.u16(what);
    case 'i16': return c.i16(what);
    case 'u32': return c.u32(what);
    case 'i32': return c.i32(what);
    case 'f32': return c.f32(what);
    case 'f64': return c.f64(what);
    case 'u64': return c.u64(what);
    case 'i64': return c.i64(what);
    case 'string': return c.string(what);
    case 'bool': {
      const at = c.pos;
      const b = c.u8(what);
      if (b > 1) throw new FormatError(c.path, `bool must be 0 or 1, got ${b}`, { field: what, offset: at });
      return b === 1;
    }
    case 'array': throw new Error('unreachable');
  }
}

function array(c: FileCursor, what: string, depth: number): GgufArray {
  if (depth > MAX_NESTING) throw new FormatError(c.path, `arrays nested deeper than ${MAX_NESTING}`, { field: what, offset: c.pos });
  const elementType = valueType(c, `${what} element`);
  const n = c.count(`${what} count`, Math.floor((c.remaining - 8) / minValueBytes(elementType)));
  const items: (GgufScalar | GgufArray)[] = new Array(n);
  for (let i = 0; i < n; i++) items[i] = elementType === 'array' ? array(c, `${what}[${i}]`, depth + 1) : scalar(c, elementType, what);
  return { elementType, items };
}

function value(c: FileCursor, key: string): GgufValue {
  const type = valueType(c, key);
  return { type, value: type === 'array' ? array(c, key, 1) : scalar(c, type, key) };
}

/** Parses and validates everything but the tensor data. */
export function readGgufHeader(c: FileCursor): GgufHeader {
  const magic = c.u32('magic');
  if (magic !== GGUF_MAGIC) throw new FormatError(c.path, `bad magic 0x${magic.toString(16).padStart(8, '0')} (a GGUF file starts with "GGUF")`, { field: 'magic', offset: 0 });
  const version = c.u32('version');
  if (version === 0x03000000 || version === 0x02000000) throw new FormatError(c.path, 'big-endian GGUF files are not supported', { field: 'version', offset: 4 });
  if (version !== 2 && version !== 3) throw new FormatError(c.path, `unsupported GGUF version ${version} (2 and 3 are read)`, { field: 'version', offset: 4 });
  // Each tensor info takes ≥ 24 bytes, each metadata pair ≥ 12 (8-byte key length + 4-byte type).
  const tensorCount = c.count('tensor_count', Math.floor(c.remaining / 24));
  const kvCount = c.count('metadata_kv_count', Math.floor(c.remaining / 12));

  const entries = new Map<string, GgufValue>();
  for (let i = 0; i < kvCount; i++) {
    const at = c.pos;
    const key = c.string(`metadata key ${i}`);
    if (entries.has(key)) throw new FormatError(c.path, 'duplicate metadata key', { field: key, offset: at });
    entries.set(key, value(c, key));
  }
  const metadata = new GgufMetadata(c.path, entries);
  const alignment = metadata.has('general.alignment') ? metadata.integer('general.alignment') : GGUF_DEFAULT_ALIGNMENT;
  if (alignment < 1 || alignment > 1 << 30 || (alignment & (alignment - 1)) !== 0) {
    throw new FormatError(c.path, `general.alignment must be a power of two, got ${alignment}`, { field: 'general.alignment' });
  }
  const arch = metadata.has('general.architecture') ? metadata.string('general.architecture') : '';
  const dialect: GgufDialect = arch === 'bitnet-b1.58' || arch === 'bitnet-25' ? 'bitnet.cpp' : 'upstream';

  const raw: { name: string; dims: number[]; typeId: number; relOffset: bigint; at: number }[] = [];
  const names = new Set<string>();
  for (let i = 0; i < tensorCount; i++) {
    const at = c.pos;
    const name = c.string(`tensor ${i} name`);
    if (name.length > GGUF_MAX_TENSOR_NAME) throw new FormatError(c.path, `tensor name longer than ${GGUF_MAX_TENSOR_NAME} bytes`, { field: name.slice(0, 80), offset: at });
    if (names.has(name)) throw new FormatError(c.path, 'duplicate tensor name', { field: name, offset: at });
    names.add(name);
    const nDims = c.u32(`${name} n_dims`);
    if (nDims < 1 || nDims > GGUF_MAX_DIMS) throw new FormatError(c.path, `n_dims is ${nDims}; must be 1..${GGUF_MAX_DIMS}`, { field: name, offset: at });
    const dims: number[] = [];
    for (let d = 0; d < nDims; d++) dims.push(c.count(`${name} dims[${d}]`, Number.MAX_SAFE_INTEGER));
    const typeId = c.u32(`${name} type`);
    const relOffset = c.u64(`${name} offset`);
    raw.push({ name, dims, typeId, relOffset, at });
  }
  const dataStart = align(c.pos, alignment);

  const tensors = new Map<string, GgufTensorInfo>();
  for (const t of raw) {
    // bitnet.cpp's fork reuses ids 36–39; I2_S (36) appears under any architecture its converters write.
    const effective: GgufDialect = t.typeId >= 36 && t.typeId <= 38 ? 'bitnet.cpp' : dialect;
    if (LUT_TYPES[t.typeId] !== undefined && (effective === 'bitnet.cpp' || names.has(`${t.name}_scale`))) {
      throw new FormatError(c.path, `${LUT_TYPES[t.typeId]} (bitnet.cpp lookup-table layout, specific to one machine and shape) is not supported; convert the original Hugging Face checkpoint instead (bitnet convert)`, { field: t.name, offset: t.at });
    }
    const info = typeInfo(t.typeId, effective);
    if (info === null) {
      const retired = retiredType(t.typeId, effective);
      const what = retired === null ? `unknown tensor type id ${t.typeId}` : `tensor type ${retired.name} (id ${t.typeId}) is retired from ggml and no longer readable`;
      throw new FormatError(c.path, what, { field: t.name, offset: t.at });
    }
    let byteSize: number;
    try {
      byteSize = tensorByteSize(info, t.dims);
    } catch (err) {
      throw new FormatError(c.path, `${info.name} tensor [${t.dims.join(', ')}]: ${(err as Error).message}`, { field: t.name, offset: t.at });
    }
    if (t.relOffset % BigInt(alignment) !== 0n) {
      throw new FormatError(c.path, `tensor data offset ${t.relOffset} is not a multiple of the alignment ${alignment}`, { field: t.name, offset: t.at });
    }
    const end = BigInt(dataStart) + t.relOffset + BigInt(byteSize);
    if (end > BigInt(c.size)) {
      throw new FormatError(c.path, `tensor data ends at byte ${end} but the file has ${c.size} (truncated?)`, { field: t.name, offset: t.at });
    }
    tensors.set(t.name, { name: t.name, dims: t.dims, typeId: t.typeId, typeName: info.name, offset: dataStart + Number(t.relOffset), byteSize });
  }
  const sorted = [...tensors.values()].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].offset < sorted[i - 1].offset + sorted[i - 1].byteSize) {
      throw new FormatError(c.path, `tensor data overlaps '${sorted[i - 1].name}'`, { field: sorted[i].name, offset: sorted[i].offset });
    }
  }
  return { version, alignment, dialect, metadata, tensors, dataStart };
}

export function align(x: number, alignment: number): number {
  return x + ((alignment - (x % alignment)) % alignment);
}

/** An open GGUF file. Close it when done. */
export class GgufFile {
  private fd: number | null;

  private constructor(readonly path: string, fd: number, readonly header: GgufHeader) {
    this.fd = fd;
  }

  /** Opens and validates; throws FormatError (leaving nothing open) for anything malformed. */
  static open(path: string): GgufFile {
    const fd = openForReading(path);
    try {
      const header = readGgufHeader(new FileCursor(path, fd, fstatSync(fd).size));
      return new GgufFile(path, fd, header);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  get metadata(): GgufMetadata {
    return this.header.metadata;
  }

  get tensors(): ReadonlyMap<string, GgufTensorInfo> {
    return this.header.tensors;
  }

  tensor(name: string): GgufTensorInfo {
    const t = this.header.tensors.get(name);
    if (t === undefined) throw new FormatError(this.path, 'missing tensor', { field: name });
    return t;
  }

  /** A fresh copy of one tensor's bytes. */
  readTensorBytes(name: string): Uint8Array {
    const t = this.tensor(name);
    if (this.fd === null) throw new FormatError(this.path, 'file is closed', { field: name });
    return readExactly(this.path, this.fd, t.offset, t.byteSize);
  }

  /** Reads one tensor's bytes into `dst`, which must be exactly its size. */
  readTensorInto(name: string, dst: Uint8Array): void {
    const t = this.tensor(name);
    if (this.fd === null) throw new FormatError(this.path, 'file is closed', { field: name });
    if (dst.length !== t.byteSize) throw new RangeError(`readTensorInto: ${name} has ${t.byteSize} bytes, the destination ${dst.length}`);
    readExactlyInto(this.path, this.fd, t.offset, dst);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
