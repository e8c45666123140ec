/**
 * The BitNet b1.58 forward pass, as transformers' BitNetForCausalLM defines it (formats §4.2), written against the
 * backend's op vocabulary only. One comment per step of §4.2; the KV cache is an explicit argument; buffers are
 * allocated once per batch size and reused, so decoding allocates nothing per token.
 */
import type { Backend, BackendInfo, DeviceWeights } from '../backends/backend.js';
import { uploadWeights } from '../backends/upload.js';
import { argmax } from '../argmax.js';
import { Q8K_BLOCK, type ActivationBuffer, type KvCacheBuffer, type QuantizedBuffer, type TernaryHandle } from '../backends/ops.js';
import { ContextLengthError, InvalidOptionError } from '../errors.js';
import type { ModelConfig } from './config.js';
import type { ForwardObserver, ForwardOptions, KvCache, Logits, Model, TraceName } from './model.js';
import { activationMode, NUMERICS_PROFILES, type ActivationMode, type NumericsProfile } from './numerics.js';
import { weightSource, type ModelWeights, type TernaryStorage, type WeightSource } from './weights.js';

/** Quantised forms of one activation width: per-token always, Q8_K when some weight of that width needs it. */
interface Quantized {
  readonly perToken: QuantizedBuffer;
  readonly q8k: QuantizedBuffer | null;
}

/** Every activation buffer of a forward pass over T tokens (llama2.c's RunState). */
interface RunState {
  readonly T: number;
  readonly h: ActivationBuffer; // (T, hidden) residual stream
  readonly xn: ActivationBuffer; // (T, hidden) normed input of a block
  readonly xq: Quantized; // (T, hidden) its int8 forms
  readonly q: ActivationBuffer; // (T, heads·headDim)
  readonly k: ActivationBuffer; // (T, kvHeads·headDim)
  readonly v: ActivationBuffer; // (T, kvHeads·headDim)
  readonly att: ActivationBuffer; // (T, heads·headDim)
  readonly attq: Quantized; // (T, heads·headDim)
  readonly proj: ActivationBuffer; // (T, hidden) o_proj / down_proj output
  readonly gate: ActivationBuffer; // (T, intermediate)
  readonly up: ActivationBuffer; // (T, intermediate)
  readonly mq: Quantized; // (T, intermediate)
  logitsAll: ActivationBuffer | null; // (T, vocab), allocated on first use: it is large for big vocabularies
  readonly logitsLast: ActivationBuffer; // (1, vocab)
}

class BitNetKvCache implements KvCache {
  length = 0;
  released = false;
  constructor(readonly buffer: KvCacheBuffer, readonly capacity: number, private readonly backend: Backend) {}
  reset(): void {
    this.length = 0;
  }
  release(): void {
    if (this.released) return;
    this.released = true;
    this.backend.releaseKvCache(this.buffer);
  }
}

export interface BitNetModelOptions {
  /** 'hf' (default) or 'llamacpp': how activations are quantised (numerics.ts). */
  readonly numerics?: NumericsProfile;
}

export class BitNetModel implements Model {
  readonly config: ModelConfig;
  readonly backendName: string;
  readonly backendInfo: BackendInfo;
  readonly numerics: NumericsProfile;
  private readonly backend: Backend;
  private readonly w: DeviceWeights;
  /** Each uploaded ternary matrix's activation mode under the profile. */
  private readonly modes = new Map<TernaryHandle, ActivationMode>();
  private readonly needsQ8K: boolean;
  private readonly states = new Map<number, RunState>();
  /** Forward passes share RunState buffers, so concurrent callers are served one pass at a time. */
  private queue: Promise<unknown> = Promise.resolve();
  /** forwardArgmax's logits on the host, for backends without argmaxRows. */
  private argmaxLogits: Float64Array | Float32Array | undefined;

  /** `weights` in memory or read on demand (openCheckpoint); either way each piece is uploaded as it is read. */
  constructor(config: ModelConfig, weights: ModelWeights | WeightSource, backend: Backend, options: BitNetModelOptions = {}) {
    const numerics = options.numerics ?? 'hf';
    if (!NUMERICS_PROFILES.includes(numerics)) throw new InvalidOptionError('numerics', `must be one of ${NUMERICS_PROFILES.join(', ')}, got '${numerics}'`);
    this.config = config;
    this.numerics = numerics;
    this.backend = backend;
    this.backendName = backend.name;
    this.backendInfo = backend.info();
    const uploaded = uploadWeights(backend, 'layer' in weights ? weights : weightSource(weights));
    this.w = uploaded.device;
    const projections = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const;
    this.w.layers.forEach((l, i) => {
      for (const name of projections) {
        const h = l[name];
        const mode = activationMode(uploaded.storage.get(h) as TernaryStorage, numerics);
        if (mode === 'q8k' && h.cols % Q8K_BLOCK !== 0) throw new InvalidOptionError('numerics', `Q8_K needs input widths that are multiples of ${Q8K_BLOCK}; layer ${i} ${name} has ${h.cols}`);
        this.modes.set(h, mode);
      }
    });
    this.needsQ8K = [...this.modes.values()].includes('q8k');
  }

  /**
   * BitLinear products sharing one input x (formats §3.1): x is quantised once per scheme the weights need —
   * per-token int8 or Q8_K blocks — or used as it is for weights whose profile leaves activations unquantised.
   */
  private bitLinear(x: ActivationBuffer, xq: Quantized, products: readonly (readonly [ActivationBuffer, TernaryHandle])[]): void {
    const { ops } = this.backend;
    let perToken = false;
    let q8k = false;
    for (const [out, w] of products) {
      const mode = this.modes.get(w);
      if (mode === 'float') {
        ops.ternaryMatmulFloat({ out, w, x });
      } else if (mode === 'q8k' && xq.q8k !== null) {
        if (!q8k) ops.quantizeActivations({ out: xq.q8k, x });
        q8k = true;
        ops.ternaryMatmul({ out, w, x: xq.q8k });
      } else {
        if (!perToken) ops.quantizeActivations({ out: xq.perToken, x });
        perToken = true;
        ops.ternaryMatmul({ out, w, x: xq.perToken });
      }
    }
  }

  createCache(capacity = this.config.contextLength): KvCache {
    if (!Number.isSafeInteger(capacity) || capacity < 1 || capacity > this.config.contextLength) {
      throw new InvalidOptionError('capacity', `must be an integer in [1, ${this.config.contextLength}], got ${capacity}`);
    }
    const c = this.config;
    return new BitNetKvCache(this.backend.allocateKvCache(c.numLayers, capacity, c.numKvHeads * c.headDim), capacity, this.backend);
  }

  forward(tokenIds: Int32Array, cache: KvCache, options: ForwardOptions = {}): Promise<Logits> {
    return this.enqueue(async () => {
      const logits = await this.forwardNow(tokenIds, cache, options);
      const reuse = options.reuse;
      const kind = this.backendInfo.precision === 'float64' ? Float64Array : Float32Array;
      const into = reuse instanceof kind && reuse.length === logits.rows * this.config.vocabSize ? reuse : undefined;
      return { rows: logits.rows, vocabSize: this.config.vocabSize, data: await this.backend.read(logits, into) };
    });
  }

  forwardArgmax(tokenIds: Int32Array, cache: KvCache): Promise<number> {
    return this.enqueue(async () => {
      const logits = await this.forwardNow(tokenIds, cache, {});
      if (this.backend.argmaxRows !== undefined) return (await this.backend.argmaxRows(logits))[logits.rows - 1];
      // On the host: read into the array the previous step read into (a decode loop leaves no logits behind).
      const V = this.config.vocabSize;
      const last = this.argmaxLogits;
      this.argmaxLogits = await this.backend.read(logits, last?.length === logits.rows * V ? last : undefined);
      return argmax(this.argmaxLogits.subarray((logits.rows - 1) * V));
    });
  }

  /** Runs `f` after every forward pass queued before it (one pass at a time: they share the run buffers). */
  private enqueue<R>(f: () => Promise<R>): Promise<R> {
    const run = this.queue.then(f);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The forward pass up to the logits, left on the backend (the last position's, or every position's). */
  private async forwardNow(tokenIds: Int32Array, cache: KvCache, options: ForwardOptions): Promise<ActivationBuffer> {
    const c = this.config;
    const T = tokenIds.length;
    if (!(cache instanceof BitNetKvCache)) throw new InvalidOptionError('cache', 'must come from this model\'s createCache()');
    if (cache.released) throw new InvalidOptionError('cache', 'was released');
    if (T === 0) throw new InvalidOptionError('tokenIds', 'must hold at least one token');
    for (const id of tokenIds) {
      if (id < 0 || id >= c.vocabSize) throw new InvalidOptionError('tokenIds', `contains ${id}, outside the vocabulary [0, ${c.vocabSize})`);
    }
    if (cache.length + T > cache.capacity) throw new ContextLengthError(cache.length + T, cache.capacity, 'sequence');

    const { ops } = this.backend;
    const w = this.w;
    const s = this.state(T);
    const pos = cache.length;
    const obs = options.observer;
    // Tracing reads a buffer between ops. Without an observer no await is taken: each is a trip through the microtask
    // queue, ~0.2 ms a token at 2B-4T (30 layers, 18 trace points each).
    const trace = obs === undefined ? undefined : (name: TraceName, layer: number, b: ActivationBuffer) => obs(name, layer, () => this.backend.read(b));

    // Token embeddings (a plain row gather).
    ops.embed({ out: s.h, table: w.tokenEmbedding, tokenIds });
    if (trace) await trace('embedding', -1, s.h);

    for (let l = 0; l < c.numLayers; l++) {
      const lw = w.layers[l];
      // 1. u = RMS(h; attn_norm).
      ops.rmsnorm({ out: s.xn, x: s.h, weight: lw.attnNorm, eps: c.rmsNormEps });
      if (trace) await trace('attn_norm', l, s.xn);
      // 2. q, k, v = BitLinear(u), u quantised once for all three (§3.1).
      this.bitLinear(s.xn, s.xq, [[s.q, lw.q], [s.k, lw.k], [s.v, lw.v]]);
      // 3. RoPE on q and k at absolute positions pos.. (half-split, §4.3).
      ops.rope({ x: s.q, startPos: pos, headDim: c.headDim, theta: c.ropeTheta });
      ops.rope({ x: s.k, startPos: pos, headDim: c.headDim, theta: c.ropeTheta });
      if (trace) await trace('q', l, s.q);
      if (trace) await trace('k', l, s.k);
      if (trace) await trace('v', l, s.v);
      // 4. Append k, v to the cache; causal GQA attention over positions 0..p.
      ops.attention({
        out: s.att, q: s.q, k: s.k, v: s.v, cache: cache.buffer, layer: l, startPos: pos,
        numHeads: c.numHeads, numKvHeads: c.numKvHeads, headDim: c.headDim,
      });
      if (trace) await trace('attn_out', l, s.att);
      // 5. o = RMS(o; attn_sub_norm), before the output projection.
      ops.rmsnorm({ out: s.att, x: s.att, weight: lw.attnSubNorm, eps: c.rmsNormEps });
      if (trace) await trace('attn_sub_norm', l, s.att);
      // 6. h = h + BitLinear_o(o).
      this.bitLinear(s.att, s.attq, [[s.proj, lw.o]]);
      if (trace) await trace('attn_o_proj', l, s.proj);
      ops.add({ out: s.h, a: s.h, b: s.proj });
      if (trace) await trace('attn_residual', l, s.h);

      // 7. y = RMS(h; ffn_norm).
      ops.rmsnorm({ out: s.xn, x: s.h, weight: lw.ffnNorm, eps: c.rmsNormEps });
      if (trace) await trace('ffn_norm', l, s.xn);
      // 8. m = act(BitLinear_gate(y)) ⊙ BitLinear_up(y); act = relu² (2B-4T) or SiLU.
      this.bitLinear(s.xn, s.xq, [[s.gate, lw.gate], [s.up, lw.up]]);
      if (trace) await trace('ffn_gate', l, s.gate);
      if (trace) await trace('ffn_up', l, s.up);
      (c.activation === 'relu2' ? ops.reluSqMul : ops.siluMul)({ out: s.gate, gate: s.gate, up: s.up });
      if (trace) await trace('ffn_act', l, s.gate);
      // 9. m = RMS(m; ffn_sub_norm), before the down projection.
      ops.rmsnorm({ out: s.gate, x: s.gate, weight: lw.ffnSubNorm, eps: c.rmsNormEps });
      if (trace) await trace('ffn_sub_norm', l, s.gate);
      // 10. h = h + BitLinear_down(m).
      this.bitLinear(s.gate, s.mq, [[s.proj, lw.down]]);
      if (trace) await trace('ffn_down', l, s.proj);
      ops.add({ out: s.h, a: s.h, b: s.proj });
      if (trace) await trace('ffn_residual', l, s.h);
    }

    // Head: z = RMS(h; output_norm); logits = E · z, full precision (tied E unless the checkpoint has lm_head).
    ops.rmsnorm({ out: s.xn, x: s.h, weight: w.outputNorm, eps: c.rmsNormEps });
    if (trace) await trace('output_norm', -1, s.xn);
    const all = options.logits === 'all';
    if (all) s.logitsAll ??= this.backend.allocate(T, c.vocabSize);
    const logits = all && s.logitsAll !== null ? s.logitsAll : s.logitsLast;
    ops.lmHead({ out: logits, x: s.xn, table: w.lmHead, fromRow: all ? 0 : T - 1 });
    if (trace) await trace('logits', -1, logits);

    cache.length = pos + T;
    return logits;
  }

  /** Buffers for batch size T; kept for T = 1 (decode) and the most recent prefill size. */
  private state(T: number): RunState {
    const hit = this.states.get(T);
    if (hit !== undefined) return hit;
    if (T !== 1) {
      for (const [key, old] of this.states) {
        if (key === 1) continue;
        this.states.delete(key);
        this.releaseState(old);
      }
    }
    const c = this.config;
    const b = this.backend;
    const qDim = c.numHeads * c.headDim;
    const kvDim = c.numKvHeads * c.headDim;
    const s: RunState = {
      T,
      h: b.allocate(T, c.hiddenSize),
      xn: b.allocate(T, c.hiddenSize),
      xq: this.quantized(T, c.hiddenSize),
      q: b.allocate(T, qDim),
      k: b.allocate(T, kvDim),
      v: b.allocate(T, kvDim),
      att: b.allocate(T, qDim),
      attq: this.quantized(T, qDim),
      proj: b.allocate(T, c.hiddenSize),
      gate: b.allocate(T, c.intermediateSize),
      up: b.allocate(T, c.intermediateSize),
      mq: this.quantized(T, c.intermediateSize),
      logitsAll: null,
      logitsLast: b.allocate(1, c.vocabSize),
    };
    this.states.set(T, s);
    return s;
  }

  /** Gives a dropped state's buffers back (a backend whose memory is garbage-collected has no `release`). */
  private releaseState(s: RunState): void {
    const release = this.backend.release?.bind(this.backend);
    if (release === undefined) return;
    for (const b of [s.h, s.xn, s.q, s.k, s.v, s.att, s.proj, s.gate, s.up, s.logitsLast, s.logitsAll]) if (b !== null) release(b);
    for (const x of [s.xq, s.attq, s.mq]) {
      release(x.perToken);
      if (x.q8k !== null) release(x.q8k);
    }
  }

  private quantized(T: number, cols: number): Quantized {
    const q8k = this.needsQ8K && cols % Q8K_BLOCK === 0 ? this.backend.allocateQuantized(T, cols, 'q8k') : null;
    return { perToken: this.backend.allocateQuantized(T, cols, 'per-token'), q8k };
  }

  dispose(): void {
    this.states.clear();
    this.backend.dispose();
  }
}

export type { ForwardObserver };
