/**
 * A bounds-checked little-endian cursor over a file read with positional reads through a sliding window, so a
 * multi-GB GGUF's header is parsed without reading its tensor data. Every read past the end is a FormatError
 * naming the file and the byte offset; no read allocates more than the bytes the file actually has.
 */
import { readSync } from 'node:fs';
import { FormatError } from '../../errors.js';

const WINDOW = 1 << 20;

export class FileCursor {
  pos = 0;
  private buf = new Uint8Array(0);
  private bufStart = 0;
  private view = new DataView(this.buf.buffer);

  constructor(readonly path: string, private readonly fd: number, readonly size: number) {}

  get remaining(): number {
    return this.size - this.pos;
  }

  /** Makes bytes [pos, pos + n) available in the window; throws at the end of the file. */
  private ensure(n: number, what: string): number {
    if (n > this.size - this.pos) throw new FormatError(this.path, `unexpected end of file reading ${what} (${n} bytes)`, { offset: this.pos });
    if (this.pos < this.bufStart || this.pos + n > this.bufStart + this.buf.length) {
      const len = Math.min(Math.max(n, WINDOW), this.size - this.pos);
      const buf = new Uint8Array(len);
      let done = 0;
      while (done < len) {
        const got = readSync(this.fd, buf, done, len - done, this.pos + done);
        if (got === 0) throw new FormatError(this.path, 'file shrank while reading', { offset: this.pos + done });
        done += got;
      }
      this.buf = buf;
      this.bufStart = this.pos;
      this.view = new DataView(buf.buffer);
    }
    const at = this.pos - this.bufStart;
    this.pos += n;
    return at;
  }

  // Each accessor calls ensure() before touching the window: ensure may replace it.
  u8(what: string): number {
    const at = this.ensure(1, what);
    return this.buf[at];
  }
  i8(what: string): number {
    const at = this.ensure(1, what);
    return this.view.getInt8(at);
  }
  u16(what: string): number {
    const at = this.ensure(2, what);
    return this.view.getUint16(at, true);
  }
  i16(what: string): number {
    const at = this.ensure(2, what);
    return this.view.getInt16(at, true);
  }
  u32(what: string): number {
    const at = this.ensure(4, what);
    return this.view.getUint32(at, true);
  }
  i32(what: string): number {
    const at = this.ensure(4, what);
    return this.view.getInt32(at, true);
  }
  f32(what: string): number {
    const at = this.ensure(4, what);
    return this.view.getFloat32(at, true);
  }
  f64(what: string): number {
    const at = this.ensure(8, what);
    return this.view.getFloat64(at, true);
  }
  u64(what: string): bigint {
    const at = this.ensure(8, what);
    return this.view.getBigUint64(at, true);
  }
  i64(what: string): bigint {
    const at = this.ensure(8, what);
    return this.view.getBigInt64(at, true);
  }

  /** A u64 that must fit a JS number and at most `limit` (a count or a length checked against the file). */
  count(what: string, limit: number): number {
    const at = this.pos;
    const v = this.u64(what);
    if (v > BigInt(limit)) throw new FormatError(this.path, `${what} is ${v}, more than the file can hold (${limit})`, { offset: at });
    return Number(v);
  }

  /** A GGUF string: u64 byte length, then UTF-8 bytes (no terminator). */
  string(what: string): string {
    const len = this.count(`${what} length`, this.remaining - 8);
    const start = this.pos;
    const at = this.ensure(len, what);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(this.buf.subarray(at, at + len));
    } catch {
      throw new FormatError(this.path, `${what} is not valid UTF-8`, { offset: start });
    }
  }
}
