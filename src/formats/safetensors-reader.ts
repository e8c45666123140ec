/**
 * safetensors reader over any ByteSource (a file in Node, fetched bytes in a browser): `u64 LE header length N`,
 * `N bytes of JSON`, then the data section. Each header entry is `{ dtype, shape, data_offsets: [begin, end] }` with
 * offsets relative to the data section. The header is parsed with bounds (size cap, every offset inside the file,
 * sizes matching shape × dtype, no overlaps) before any tensor byte is read, and tensors are read lazily by
 * positional reads, so a multi-GB file is never copied whole. safetensors.ts opens files by path (Node).
 */
import { FormatError } from '../errors.js';
import { readAt, type ByteSource } from './byte-source.js';
import { decodeBf16, decodeF16, decodeF32 } from './float16.js';

/** dtypes this reader decodes; others are recognised so that the error can say what the file holds. */
export type SafetensorsDType = 'BF16' | 'F16' | 'F32' | 'U8' | 'I8';
const DTYPE_BYTES: Record<SafetensorsDType, number> = { BF16: 2, F16: 2, F32: 4, U8: 1, I8: 1 };
const KNOWN_UNSUPPORTED = new Set(['F64', 'I16', 'U16', 'I32', 'U32', 'I64', 'U64', 'BOOL', 'F8_E4M3', 'F8_E5M2']);

/** The safetensors project caps headers at 100 MB; anything larger is corrupt or hostile. */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface SafetensorsTensorInfo {
  readonly name: string;
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
  /** Absolute byte offsets in the file, [begin, end). */
  readonly begin: number;
  readonly end: number;
}

export interface SafetensorsHeader {
  readonly headerBytes: number;
  readonly tensors: ReadonlyMap<string, SafetensorsTensorInfo>;
  readonly metadata: Readonly<Record<string, string>>;
}

/**
 * Validates a header given its JSON bytes and the file size. Pure, so that it can be fuzzed without files.
 * `file` only names the source in errors.
 */
export function parseSafetensorsHeader(file: string, json: Uint8Array, fileSize: number): SafetensorsHeader {
  const dataStart = 8 + json.length;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch (err) {
    throw new FormatError(file, 'header is not valid UTF-8 JSON', { offset: 8 }, { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new FormatError(file, 'header must be a JSON object', { offset: 8 });
  }
  const tensors = new Map<string, SafetensorsTensorInfo>();
  const metadata: Record<string, string> = Object.create(null);
  for (const [name, entry] of Object.entries(parsed)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
        throw new FormatError(file, '__metadata__ must be an object of strings', { field: name });
      }
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== 'string') throw new FormatError(file, `__metadata__ value must be a string`, { field: `__metadata__.${k}` });
        metadata[k] = v;
      }
      continue;
    }
    tensors.set(name, parseEntry(file, name, entry, dataStart, fileSize));
  }
  const sorted = [...tensors.values()].sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].begin < sorted[i - 1].end) {
      throw new FormatError(file, `tensor data overlaps '${sorted[i - 1].name}'`, { field: sorted[i].name, offset: sorted[i].begin });
    }
  }
  return { headerBytes: json.length, tensors, metadata };
}

function parseEntry(file: string, name: string, entry: unknown, dataStart: number, fileSize: number): SafetensorsTensorInfo {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw new FormatError(file, 'tensor entry must be an object', { field: name });
  }
  const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  if (typeof dtype !== 'string') throw new FormatError(file, 'dtype must be a string', { field: `${name}.dtype` });
  if (!Object.hasOwn(DTYPE_BYTES, dtype)) {
    const why = KNOWN_UNSUPPORTED.has(dtype) ? 'is not used by BitNet checkpoints and not supported' : 'is unknown';
    throw new FormatError(file, `dtype '${dtype}' ${why} (supported: ${Object.keys(DTYPE_BYTES).join(', ')})`, { field: `${name}.dtype` });
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new FormatError(file, 'shape must be an array of non-negative integers', { field: `${name}.shape` });
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
    offsets[0] > offsets[1]
  ) {
    throw new FormatError(file, 'data_offsets must be [begin, end] with 0 <= begin <= end', { field: `${name}.data_offsets` });
  }
  const type = dtype as SafetensorsDType;
  let count = 1;
  for (const d of shape as number[]) {
    count *= d;
    if (!Number.isSafeInteger(count)) throw new FormatError(file, 'shape is too large', { field: `${name}.shape` });
  }
  const [begin, end] = offsets as [number, number];
  if (end - begin !== count * DTYPE_BYTES[type]) {
    throw new FormatError(
      file,
      `data_offsets span ${end - begin} bytes but shape [${shape.join(', ')}] of ${type} needs ${count * DTYPE_BYTES[type]}`,
      { field: `${name}.data_offsets` },
    );
  }
  if (dataStart + end > fileSize) {
    throw new FormatError(file, `tensor data ends at byte ${dataStart + end} but the file has ${fileSize} bytes (truncated?)`, {
      field: name,
      offset: dataStart + begin,
    });
  }
  return { name, dtype: type, shape: [...(shape as number[])], begin: dataStart + begin, end: dataStart + end };
}

/** Reads and validates the header of `source` (length field, size cap, JSON, every entry). */
export function readSafetensorsHeader(source: ByteSource): SafetensorsHeader {
  const { path, size } = source;
  if (size < 8) throw new FormatError(path, `file has ${size} bytes; a safetensors file starts with an 8-byte header length`, { offset: 0 });
  const lenBytes = readAt(source, 0, 8);
  const len = new DataView(lenBytes.buffer, lenBytes.byteOffset, 8).getBigUint64(0, true);
  if (len > BigInt(MAX_HEADER_BYTES)) {
    throw new FormatError(path, `header length ${len} exceeds the ${MAX_HEADER_BYTES}-byte limit`, { offset: 0 });
  }
  if (Number(len) + 8 > size) {
    throw new FormatError(path, `header claims ${len} bytes but the file has only ${size - 8} after the length field`, { offset: 0 });
  }
  return parseSafetensorsHeader(path, readAt(source, 8, Number(len)), size);
}

/** A safetensors container over a ByteSource. Close it when done; tensor reads are positional and independent. */
export class SafetensorsReader {
  readonly path: string;
  readonly header: SafetensorsHeader;
  private source: ByteSource | null;

  protected constructor(source: ByteSource, header: SafetensorsHeader) {
    this.path = source.path;
    this.source = source;
    this.header = header;
  }

  /**
   * Validates the header of `source` and reads from it; FormatError if the header is bad. The reader owns the
   * source from then on (its close() closes it); on an error the caller still owns it.
   */
  static fromSource(source: ByteSource): SafetensorsReader {
    return new SafetensorsReader(source, readSafetensorsHeader(source));
  }

  has(name: string): boolean {
    return this.header.tensors.has(name);
  }

  /** Header entry of a tensor; FormatError naming the file and tensor if it is absent. */
  info(name: string): SafetensorsTensorInfo {
    const info = this.header.tensors.get(name);
    if (info === undefined) throw new FormatError(this.path, 'missing tensor', { field: name });
    return info;
  }

  private open(name: string): ByteSource {
    if (this.source === null) throw new FormatError(this.path, 'file is closed', { field: name });
    return this.source;
  }

  /** The raw bytes of a tensor (a fresh copy). */
  readBytes(name: string): Uint8Array {
    const info = this.info(name);
    return readAt(this.open(name), info.begin, info.end - info.begin);
  }

  /** Reads one tensor's raw bytes into `dst`, which must be exactly its size. */
  readBytesInto(name: string, dst: Uint8Array): void {
    const info = this.info(name);
    const source = this.open(name);
    if (dst.length !== info.end - info.begin) throw new RangeError(`readBytesInto: ${name} has ${info.end - info.begin} bytes, the destination ${dst.length}`);
    source.readInto(info.begin, dst);
  }

  /** A floating-point tensor decoded exactly to float32 (BF16, F16 or F32 in the file). */
  readFloat32(name: string): Float32Array {
    const info = this.info(name);
    const bytes = this.readBytes(name);
    switch (info.dtype) {
      case 'BF16':
        return decodeBf16(bytes);
      case 'F16':
        return decodeF16(bytes);
      case 'F32':
        return decodeF32(bytes);
      default:
        throw new FormatError(this.path, `expected a floating-point dtype, found ${info.dtype}`, { field: `${name}.dtype` });
    }
  }

  close(): void {
    this.source?.close();
    this.source = null;
  }
}
