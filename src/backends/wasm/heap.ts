/**
 * The wasm backend's memory: one shared WebAssembly.Memory (so worker threads can share it) with a bump allocator
 * and a first-fit free list. Weights are written once at upload and never freed; KV caches come and go with each
 * generation, so their blocks are freed and reused (a WebAssembly memory never shrinks). Views are recreated when
 * the memory grows (the grown SharedArrayBuffer is a new object).
 */
const PAGE = 65536;
const ALIGN = 64;

export class WasmHeap {
  readonly memory: WebAssembly.Memory;
  private top = ALIGN;
  /** Freed blocks, sorted by offset, never adjacent to each other or to `top` (they are merged). */
  private readonly free: { offset: number; bytes: number }[] = [];
  private buffer: ArrayBufferLike;
  private views!: { u8: Uint8Array; i8: Int8Array; u16: Uint16Array; i32: Int32Array; f32: Float32Array; f64: Float64Array };

  constructor(initialBytes = 1 << 24) {
    this.memory = new WebAssembly.Memory({ initial: Math.ceil(initialBytes / PAGE), maximum: 65536, shared: true });
    this.buffer = this.memory.buffer;
    this.refresh();
  }

  private refresh(): void {
    const b = this.memory.buffer;
    this.buffer = b;
    this.views = { u8: new Uint8Array(b), i8: new Int8Array(b), u16: new Uint16Array(b), i32: new Int32Array(b), f32: new Float32Array(b), f64: new Float64Array(b) };
  }

  private current(): typeof this.views {
    if (this.memory.buffer !== this.buffer) this.refresh();
    return this.views;
  }

  get u8(): Uint8Array {
    return this.current().u8;
  }
  get i8(): Int8Array {
    return this.current().i8;
  }
  get u16(): Uint16Array {
    return this.current().u16;
  }
  get f64(): Float64Array {
    return this.current().f64;
  }
  get i32(): Int32Array {
    return this.current().i32;
  }
  get f32(): Float32Array {
    return this.current().f32;
  }

  /** Reserves `bytes`, 64-byte aligned and zero-filled. */
  alloc(bytes: number): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    const i = this.free.findIndex((f) => f.bytes >= size);
    if (i >= 0) {
      const f = this.free[i];
      const at = f.offset;
      if (f.bytes === size) this.free.splice(i, 1);
      else this.free[i] = { offset: at + size, bytes: f.bytes - size };
      this.u8.fill(0, at, at + size);
      return at;
    }
    const at = this.top;
    const end = at + size;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      const pages = Math.ceil((end - have) / PAGE);
      if (have / PAGE + pages > 65536) throw new RangeError(`the wasm backend needs ${end} bytes, more than WebAssembly's 4 GiB`);
      this.memory.grow(pages);
    }
    this.top = end;
    return at;
  }

  /** Returns a block from alloc(bytes) for reuse. */
  release(offset: number, bytes: number): void {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    let i = this.free.findIndex((f) => f.offset > offset);
    if (i < 0) i = this.free.length;
    this.free.splice(i, 0, { offset, bytes: size });
    // Merge with the next block, then with the previous one, then give a block ending at `top` back to it.
    if (i + 1 < this.free.length && offset + size === this.free[i + 1].offset) {
      this.free[i].bytes += this.free[i + 1].bytes;
      this.free.splice(i + 1, 1);
    }
    if (i > 0 && this.free[i - 1].offset + this.free[i - 1].bytes === offset) {
      this.free[i - 1].bytes += this.free[i].bytes;
      this.free.splice(i, 1);
    }
    const last = this.free[this.free.length - 1];
    if (last.offset + last.bytes === this.top) {
      this.top = last.offset;
      this.free.pop();
      // Memory above `top` must read as zero again for the next bump allocation.
      this.u8.fill(0, this.top, this.top + last.bytes);
    }
  }

  get used(): number {
    return this.top;
  }
}
