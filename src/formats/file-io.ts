/**
 * Positional file reads shared by the container readers: every failure is a FormatError naming the file and offset.
 */
import { openSync, readSync } from 'node:fs';
import { FormatError } from '../errors.js';

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
