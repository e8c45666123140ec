/**
 * Small scripted stand-ins for the Model and Tokenizer interfaces, so that the generation loop can be tested on
 * behaviour the real model cannot be steered into (an EOS at a chosen step, UTF-8 split across tokens).
 */
import { ContextLengthError } from '../../src/errors.js';
import type { ModelConfig } from '../../src/model/config.js';
import type { KvCache, Logits, Model } from '../../src/model/model.js';
import type { Tokenizer } from '../../src/tokenizer/tokenizer.js';

export function fakeConfig(overrides: Partial<ModelConfig> = {}): ModelConfig {
  return {
    source: 'fake', vocabSize: 8, hiddenSize: 4, intermediateSize: 8, numLayers: 1, numHeads: 1, numKvHeads: 1,
    headDim: 4, ropeTheta: 10000, rmsNormEps: 1e-5, contextLength: 64, activation: 'relu2', tieWordEmbeddings: true,
    bosTokenId: 0, eosTokenIds: [1], ...overrides,
  };
}

export class FakeCache implements KvCache {
  length = 0;
  constructor(readonly capacity: number) {}
  releases = 0;
  /** Forward passes running on this cache now (a model that awaits inside forward counts them). */
  running = 0;
  reset(): void {
    this.length = 0;
  }
  release(): void {
    if (this.running > 0) throw new Error('FakeCache released under a running forward pass');
    this.releases++;
  }
}

/** A model whose next-token choice is a script: after n tokens in the cache it strongly prefers script(n). */
export class ScriptedModel implements Model {
  readonly backendName = 'fake';
  readonly backendInfo = { name: 'fake', precision: 'float64' as const, threads: 1, features: [] };
  forwardCalls = 0;
  /** Tokens of each forward call, in order. */
  readonly forwardSizes: number[] = [];
  constructor(readonly config: ModelConfig, private readonly script: (position: number) => number) {}

  /** Every cache handed out, so tests can check that each was released. */
  readonly caches: FakeCache[] = [];
  createCache(capacity = this.config.contextLength): KvCache {
    const c = new FakeCache(capacity);
    this.caches.push(c);
    return c;
  }

  async forward(tokenIds: Int32Array, cache: KvCache, options: { logits?: 'last' | 'all' } = {}): Promise<Logits> {
    const c = cache as FakeCache;
    if (c.length + tokenIds.length > c.capacity) throw new ContextLengthError(c.length + tokenIds.length, c.capacity, 'sequence');
    this.forwardCalls++;
    this.forwardSizes.push(tokenIds.length);
    const V = this.config.vocabSize;
    const rows = options.logits === 'all' ? tokenIds.length : 1;
    const data = new Float64Array(rows * V);
    for (let r = 0; r < rows; r++) {
      const position = c.length + (options.logits === 'all' ? r : tokenIds.length - 1) + 1;
      data[r * V + this.script(position)] = 10;
    }
    c.length += tokenIds.length;
    return { rows, vocabSize: V, data };
  }

  dispose(): void {}
}

/** A tokenizer whose tokens are raw bytes (id → byte sequence); decode is lossy UTF-8 like byte-level BPE. */
export class ByteTokenizer implements Tokenizer {
  readonly vocabSize: number;
  constructor(private readonly bytesOf: readonly Uint8Array[], private readonly special: ReadonlySet<number> = new Set([0, 1])) {
    this.vocabSize = bytesOf.length;
  }

  async encode(text: string): Promise<number[]> {
    const bytes = new TextEncoder().encode(text);
    return [0, ...Array.from(bytes, (b) => this.bytesOf.findIndex((t) => t.length === 1 && t[0] === b))];
  }

  async decode(ids: readonly number[], options: { skipSpecialTokens?: boolean } = {}): Promise<string> {
    const skip = options.skipSpecialTokens ?? true;
    const parts = ids.filter((id) => !(skip && this.special.has(id))).map((id) => this.bytesOf[id]);
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      all.set(p, o);
      o += p.length;
    }
    return new TextDecoder().decode(all);
  }

  tokenToId(): number | null {
    return null;
  }

  idToToken(id: number): string | null {
    return id < this.vocabSize ? String(id) : null;
  }
}
