/**
 * Positional file reads shared by the container readers (Node only): every failure is a FormatError naming the file
 * and offset. `fileSource` gives an open file as the environment-neutral ByteSource of byte-source.ts.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { FormatError } from '../errors.js';
import type { ByteSource } from './byte-source.js';

/** Opens `path` read-only; a missing or unreadable file is a FormatError, not a bare Node error. */
export function openForReading(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (err) {
    throw new FormatError(path, `cannot be opened: ${(err as Error).message}`, {}, { cause: err });
  }
}

/** Exactly `length` bytes at `position` (a fresh copy); the file ending early is a FormatError. */
export function readExactly(path: string, fd: number, position: number, length: number): Uint8Array {
  return readExactlyInto(path, fd, position, new Uint8Array(length));
}

/** Fills `dst` (any memory, shared included) from `position`; the file ending early is a FormatError. */
export function readExactlyInto(path: string, fd: number, position: number, dst: Uint8Array): Uint8Array {
  const length = dst.length;
  let done = 0;
  while (done < length) {
    const n = readSync(fd, dst, done, length - done, position + done);
    if (n === 0) throw new FormatError(path, `unexpected end of file reading ${length} bytes`, { offset: position + done });
    done += n;
  }
  return dst;
}

/** Opens `path` as a ByteSource (positional reads, nothing read up front); close it when done. */
export function fileSource(path: string): ByteSource {
  const fd = openForReading(path);
  let size: number;
  try {
    size = fstatSync(fd).size;
  } catch (err) {
    closeSync(fd);
    throw new FormatError(path, `cannot be read: ${(err as Error).message}`, {}, { cause: err });
  }
  let open = true;
  return {
    path,
    size,
    readInto(position, dst) {
      if (!open) throw new FormatError(path, 'file is closed', { offset: position });
      return readExactlyInto(path, fd, position, dst);
    },
    close() {
      if (open) closeSync(fd);
      open = false;
    },
  };
}
