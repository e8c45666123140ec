/**
 * Random access to a container's bytes, wherever they live: an open file (Node, file-io.ts `fileSource`) or bytes
 * already in memory (a browser's fetched files, `memorySource`). Readers such as safetensors.ts see only this, so the
 * same parsing runs in Node and in a browser. Every read is bounds-checked: past the end is a FormatError naming the
 * source and the byte offset.
 */
import { FormatError } from '../errors.js';

export interface ByteSource {
  /** Names the source in errors: a file path or a URL. */
  readonly path: string;
  readonly size: number;
  /** Fills `dst` (any memory, shared included) from byte `position`; FormatError when the source ends first. */
  readInto(position: number, dst: Uint8Array): Uint8Array;
  /** Releases the file (a no-op for memory); later reads are a FormatError. */
  close(): void;
}

/** Exactly `length` bytes at `position` (a fresh copy). */
export function readAt(source: ByteSource, position: number, length: number): Uint8Array {
  return source.readInto(position, new Uint8Array(length));
}

/** A ByteSource over bytes in memory; reads copy, so callers may keep what they read. */
export function memorySource(path: string, bytes: Uint8Array): ByteSource {
  let open = true;
  return {
    path,
    size: bytes.length,
    readInto(position, dst) {
      if (!open) throw new FormatError(path, 'is closed', { offset: position });
      if (position < 0 || position + dst.length > bytes.length) {
        throw new FormatError(path, `unexpected end of data reading ${dst.length} bytes`, { offset: Math.min(Math.max(position, 0), bytes.length) });
      }
      dst.set(bytes.subarray(position, position + dst.length));
      return dst;
    },
    close() {
      open = false;
    },
  };
}
