/**
 * The wasm backend's memory: one shared WebAssembly.Memory (so worker threads can share it) with a bump allocator.
 * Weights are written once at upload; activations and scratch are allocated once per buffer. Views are recreated
 * when the memory grows (the grown SharedArrayBuffer is a new object).
 */
const PAGE = 65536;
const ALIGN = 64;

export class WasmHeap {
  readonly memory: WebAssembly.Memory;
  private top = ALIGN;
  private buffer: ArrayBufferLike;
  private views!: { u8: Uint8Array; i8: Int8Array; i32: Int32Array; f32: Float32Array };

  constructor(initialBytes = 1 << 24) {
    this.memory = new WebAssembly.Memory({ initial: Math.ceil(initialBytes / PAGE), maximum: 65536, shared: true });
    this.buffer = this.memory.buffer;
    this.refresh();
  }

  private refresh(): void {
    const b = this.memory.buffer;
    this.buffer = b;
    this.views = { u8: new Uint8Array(b), i8: new Int8Array(b), i32: new Int32Array(b), f32: new Float32Array(b) };
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
  get i32(): Int32Array {
    return this.current().i32;
  }
  get f32(): Float32Array {
    return this.current().f32;
  }

  /** Reserves `bytes` (64-byte aligned, zero-filled: fresh pages are zero and nothing is ever freed). */
  alloc(bytes: number): number {
    const at = this.top;
    const end = at + Math.ceil(bytes / ALIGN) * ALIGN;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      const pages = Math.ceil((end - have) / PAGE);
      if (have / PAGE + pages > 65536) throw new RangeError(`the wasm backend needs ${end} bytes, more than WebAssembly's 4 GiB`);
      this.memory.grow(pages);
    }
    this.top = end;
    return at;
  }

  get used(): number {
    return this.top;
  }
}
