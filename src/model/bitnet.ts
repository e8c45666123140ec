/**
 * The BitNet b1.58 forward pass, as transformers' BitNetForCausalLM defines it (formats §4.2), written against the
 * backend's op vocabulary only. One comment per step of §4.2; the KV cache is an explicit argument; buffers are
 * allocated once per batch size and reused, so decoding allocates nothing per token.
 */
import type { Backend, DeviceWeights } from '../backends/backend.js';
import { uploadWeights } from '../backends/upload.js';
import type { ActivationBuffer, KvCacheBuffer, QuantizedBuffer } from '../backends/ops.js';
import { ContextLengthError, InvalidOptionError } from '../errors.js';
import type { ModelConfig } from './config.js';
import type { ForwardObserver, ForwardOptions, KvCache, Logits, Model, TraceName } from './model.js';
import type { ModelWeights } from './weights.js';

/** Every activation buffer of a forward pass over T tokens (llama2.c's RunState). */
interface RunState {
  readonly T: number;
  readonly h: ActivationBuffer; // (T, hidden) residual stream
  readonly xn: ActivationBuffer; // (T, hidden) normed input of a block
  readonly xq: QuantizedBuffer; // (T, hidden) its int8 form
  readonly q: ActivationBuffer; // (T, heads·headDim)
  readonly k: ActivationBuffer; // (T, kvHeads·headDim)
  readonly v: ActivationBuffer; // (T, kvHeads·headDim)
  readonly att: ActivationBuffer; // (T, heads·headDim)
  readonly attq: QuantizedBuffer; // (T, heads·headDim)
  readonly proj: ActivationBuffer; // (T, hidden) o_proj / down_proj output
  readonly gate: ActivationBuffer; // (T, intermediate)
  readonly up: ActivationBuffer; // (T, intermediate)
  readonly mq: QuantizedBuffer; // (T, intermediate)
  logitsAll: ActivationBuffer | null; // (T, vocab), allocated on first use: it is large for big vocabularies
  readonly logitsLast: ActivationBuffer; // (1, vocab)
}

class BitNetKvCache implements KvCache {
  length = 0;
  constructor(readonly buffer: KvCacheBuffer, readonly capacity: number) {}
  reset(): void {
    this.length = 0;
  }
}

export class BitNetModel implements Model {
  readonly config: ModelConfig;
  readonly backendName: string;
  private readonly backend: Backend;
  private readonly w: DeviceWeights;
  private readonly states = new Map<number, RunState>();
  /** Forward passes share RunState buffers, so concurrent callers are served one pass at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(config: ModelConfig, weights: ModelWeights, backend: Backend) {
    this.config = config;
    this.backend = backend;
    this.backendName = backend.name;
    this.w = uploadWeights(backend, weights);
  }

  createCache(capacity = this.config.contextLength): KvCache {
    if (!Number.isSafeInteger(capacity) || capacity < 1 || capacity > this.config.contextLength) {
      throw new InvalidOptionError('capacity', `must be an integer in [1, ${this.config.contextLength}], got ${capacity}`);
    }
    const c = this.config;
    return new BitNetKvCache(this.backend.allocateKvCache(c.numLayers, capacity, c.numKvHeads * c.headDim), capacity);
  }

  forward(tokenIds: Int32Array, cache: KvCache, options: ForwardOptions = {}): Promise<Logits> {
    const run = this.queue.then(() => this.forwardNow(tokenIds, cache, options));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async forwardNow(tokenIds: Int32Array, cache: KvCache, options: ForwardOptions): Promise<Logits> {
    const c = this.config;
    const T = tokenIds.length;
    if (!(cache instanceof BitNetKvCache)) throw new InvalidOptionError('cache', 'must come from this model\'s createCache()');
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
    const trace = obs === undefined ? undefined : (name: TraceName, layer: number, b: ActivationBuffer) => obs(name, layer, () => this.backend.read(b));

    // Token embeddings (a plain row gather).
    ops.embed({ out: s.h, table: w.tokenEmbedding, tokenIds });
    await trace?.('embedding', -1, s.h);

    for (let l = 0; l < c.numLayers; l++) {
      const lw = w.layers[l];
      // 1. u = RMS(h; attn_norm), quantised once for q, k and v (§3.1).
      ops.rmsnorm({ out: s.xn, x: s.h, weight: lw.attnNorm, eps: c.rmsNormEps });
      await trace?.('attn_norm', l, s.xn);
      ops.quantizeActivations({ out: s.xq, x: s.xn });
      // 2. q, k, v = BitLinear(u).
      ops.ternaryMatmul({ out: s.q, w: lw.q, x: s.xq });
      ops.ternaryMatmul({ out: s.k, w: lw.k, x: s.xq });
      ops.ternaryMatmul({ out: s.v, w: lw.v, x: s.xq });
      // 3. RoPE on q and k at absolute positions pos.. (half-split, §4.3).
      ops.rope({ x: s.q, startPos: pos, headDim: c.headDim, theta: c.ropeTheta });
      ops.rope({ x: s.k, startPos: pos, headDim: c.headDim, theta: c.ropeTheta });
      await trace?.('q', l, s.q);
      await trace?.('k', l, s.k);
      await trace?.('v', l, s.v);
      // 4. Append k, v to the cache; causal GQA attention over positions 0..p.
      ops.attention({
        out: s.att, q: s.q, k: s.k, v: s.v, cache: cache.buffer, layer: l, startPos: pos,
        numHeads: c.numHeads, numKvHeads: c.numKvHeads, headDim: c.headDim,
      });
      await trace?.('attn_out', l, s.att);
      // 5. o = RMS(o; attn_sub_norm), before the output projection.
      ops.rmsnorm({ out: s.att, x: s.att, weight: lw.attnSubNorm, eps: c.rmsNormEps });
      await trace?.('attn_sub_norm', l, s.att);
      // 6. h = h + BitLinear_o(o).
      ops.quantizeActivations({ out: s.attq, x: s.att });
      ops.ternaryMatmul({ out: s.proj, w: lw.o, x: s.attq });
      await trace?.('attn_o_proj', l, s.proj);
      ops.add({ out: s.h, a: s.h, b: s.proj });
      await trace?.('attn_residual', l, s.h);

      // 7. y = RMS(h; ffn_norm).
      ops.rmsnorm({ out: s.xn, x: s.h, weight: lw.ffnNorm, eps: c.rmsNormEps });
      await trace?.('ffn_norm', l, s.xn);
      ops.quantizeActivations({ out: s.xq, x: s.xn });
      // 8. m = act(BitLinear_gate(y)) ⊙ BitLinear_up(y); act = relu² (2B-4T) or SiLU.
      ops.ternaryMatmul({ out: s.gate, w: lw.gate, x: s.xq });
      ops.ternaryMatmul({ out: s.up, w: lw.up, x: s.xq });
      await trace?.('ffn_gate', l, s.gate);
      await trace?.('ffn_up', l, s.up);
      (c.activation === 'relu2' ? ops.reluSqMul : ops.siluMul)({ out: s.gate, gate: s.gate, up: s.up });
      await trace?.('ffn_act', l, s.gate);
      // 9. m = RMS(m; ffn_sub_norm), before the down projection.
      ops.rmsnorm({ out: s.gate, x: s.gate, weight: lw.ffnSubNorm, eps: c.rmsNormEps });
      await trace?.('ffn_sub_norm', l, s.gate);
      // 10. h = h + BitLinear_down(m).
      ops.quantizeActivations({ out: s.mq, x: s.gate });
      ops.ternaryMatmul({ out: s.proj, w: lw.down, x: s.mq });
      await trace?.('ffn_down', l, s.proj);
      ops.add({ out: s.h, a: s.h, b: s.proj });
      await trace?.('ffn_residual', l, s.h);
    }

    // Head: z = RMS(h; output_norm); logits = E · z, full precision (tied E unless the checkpoint has lm_head).
    ops.rmsnorm({ out: s.xn, x: s.h, weight: w.outputNorm, eps: c.rmsNormEps });
    await trace?.('output_norm', -1, s.xn);
    const all = options.logits === 'all';
    if (all) s.logitsAll ??= this.backend.allocate(T, c.vocabSize);
    const logits = all && s.logitsAll !== null ? s.logitsAll : s.logitsLast;
    ops.lmHead({ out: logits, x: s.xn, table: w.lmHead, fromRow: all ? 0 : T - 1 });
    await trace?.('logits', -1, logits);

    cache.length = pos + T;
    return { rows: logits.rows, vocabSize: c.vocabSize, data: await this.backend.read(logits) };
  }

  /** Buffers for batch size T; kept for T = 1 (decode) and the most recent prefill size. */
  private state(T: number): RunState {
    const hit = this.states.get(T);
    if (hit !== undefined) return hit;
    if (T !== 1) for (const key of this.states.keys()) if (key !== 1) this.states.delete(key);
    const c = this.config;
    const b = this.backend;
    const qDim = c.numHeads * c.headDim;
    const kvDim = c.numKvHeads * c.headDim;
    const s: RunState = {
      T,
      h: b.allocate(T, c.hiddenSize),
      xn: b.allocate(T, c.hiddenSize),
      xq: b.allocateQuantized(T, c.hiddenSize),
      q: b.allocate(T, qDim),
      k: b.allocate(T, kvDim),
      v: b.allocate(T, kvDim),
      att: b.allocate(T, qDim),
      attq: b.allocateQuantized(T, qDim),
      proj: b.allocate(T, c.hiddenSize),
      gate: b.allocate(T, c.intermediateSize),
      up: b.allocate(T, c.intermediateSize),
      mq: b.allocateQuantized(T, c.intermediateSize),
      logitsAll: null,
      logitsLast: b.allocate(1, c.vocabSize),
    };
    this.states.set(T, s);
    return s;
  }

  dispose(): void {
    this.states.clear();
    this.backend.dispose();
  }
}

export type { ForwardObserver };
