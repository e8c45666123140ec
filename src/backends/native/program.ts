/**
 * Recording ops into one program that the addon runs in a single call (native/program.h): a token's forward pass
 * crosses from JavaScript into native code once, at the read of its logits, instead of once per op. Each record is
 * [op, words, barrier, fields…] in float64; `barrier` is set when the record reads or overwrites memory that an
 * earlier record since the last barrier wrote (or, for a write, read), so independent ops — q, k and v, gate and
 * up — run back to back without the threads waiting for each other.
 */
import type { NativeAddon, NativeProfile } from './addon.js';

/** Opcodes, as native/program.h. */
export const OP = {
  embed: 1,
  rmsnorm: 2,
  quantToken: 3,
  quantQ8k: 4,
  ternary: 5,
  ternaryQ8k: 6,
  ternaryFloat: 7,
  rope: 8,
  kvAppend: 9,
  attention: 10,
  add: 11,
  reluSqMul: 12,
  siluMul: 13,
  lmHead: 14,
  quantI8: 15,
  lmHeadI8: 16,
} as const;

export class ProgramRecorder {
  private words = new Float64Array(4096);
  private length = 0;
  /** Everything a pending record points into, kept reachable until the program has run. */
  private keep: object[] = [];
  private written = new Set<object>();
  private readSince = new Set<object>();

  constructor(private readonly addon: NativeAddon, private readonly runner: object) {}

  get pending(): boolean {
    return this.length > 0;
  }

  /** Appends one record; `reads` / `writes` are the memory it touches, by owning object. */
  record(op: number, fields: readonly number[], reads: readonly object[], writes: readonly object[], extra?: ArrayLike<number>): void {
    const conflict = reads.some((r) => this.written.has(r)) || writes.some((w) => this.written.has(w) || this.readSince.has(w));
    if (conflict) {
      this.written.clear();
      this.readSince.clear();
    }
    for (const r of reads) {
      this.readSince.add(r);
      this.keep.push(r);
    }
    for (const w of writes) {
      this.written.add(w);
      this.keep.push(w);
    }
    const n = 3 + fields.length + (extra?.length ?? 0);
    if (this.length + n > this.words.length) {
      const grown = new Float64Array(Math.max(this.words.length * 2, this.length + n));
      grown.set(this.words.subarray(0, this.length));
      this.words = grown;
    }
    const w = this.words;
    let at = this.length;
    w[at++] = op;
    w[at++] = n;
    w[at++] = conflict ? 1 : 0;
    for (const f of fields) w[at++] = f;
    if (extra !== undefined) for (let i = 0; i < extra.length; i++) w[at++] = extra[i];
    this.length = at;
  }

  /** Starts (clearing) or stops per-op timing inside the native runs. */
  setProfiling(on: boolean): void {
    this.flush();
    this.addon.setProfiling(this.runner, on);
  }

  profile(): NativeProfile {
    return this.addon.profile(this.runner);
  }

  /** Runs what is pending, then stops the runner's threads; recording afterwards is an error. */
  close(): void {
    this.flush();
    this.addon.destroyRunner(this.runner);
  }

  /** Runs every pending record (blocking until done); memory is then safe to read or write from JavaScript. */
  flush(): void {
    if (this.length === 0) return;
    const words = this.length;
    this.length = 0;
    this.written.clear();
    this.readSince.clear();
    try {
      this.addon.run(this.runner, this.words, words);
    } finally {
      this.keep = [];
    }
  }
}
