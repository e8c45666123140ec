/**
 * The generation loop: prefill the prompt, then sample → detokenize → check stops → decode one token, until EOS,
 * maxTokens, a stop string, a full context or an abort. An async generator of chunks that returns the result.
 * Without stop strings the next token's forward pass starts before this one's text is decoded (they overlap).
 */
import { AbortError, ContextLengthError, InvalidOptionError } from '../errors.js';
import type { Model } from '../model/model.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { IncrementalDetokenizer } from './detokenize.js';
import type { ResolvedOptions } from './options.js';
import { Rng } from '../random.js';
import type { FinishReason, GenerationChunk, GenerationResult } from './result.js';
import { isPlainGreedy, sampleToken } from './sampling.js';
import { StopStringMatcher } from './stop.js';

/**
 * Prompts are prefilled in pieces of this many tokens, bounding buffer sizes and abort latency, unless the backend
 * asks for another size (BackendInfo.prefillChunk).
 */
export const PREFILL_CHUNK = 256;

export async function* generate(
  model: Model,
  tokenizer: Tokenizer,
  promptIds: readonly number[],
  eosIds: ReadonlySet<number>,
  o: ResolvedOptions,
): AsyncGenerator<GenerationChunk, GenerationResult> {
  const context = model.config.contextLength;
  if (promptIds.length === 0) throw new InvalidOptionError('prompt', 'encodes to no tokens');
  if (promptIds.length > context) throw new ContextLengthError(promptIds.length, context);
  const throwIfAborted = (): void => {
    if (o.signal?.aborted) throw new AbortError(o.signal.reason);
  };
  throwIfAborted();

  // Prompt plus generated tokens never exceed the context; the last token is sampled, never fed back.
  const room = Math.min(o.maxTokens, context - promptIds.length);
  const cache = model.createCache(Math.max(1, Math.min(context, promptIds.length + room - 1)));
  /** A forward pass started ahead of its turn (below), until it has been awaited. */
  let ahead: Promise<void> | null = null;
  try {
    const rng = new Rng(o.seed);
    const detok = new IncrementalDetokenizer(tokenizer, promptIds);
    const stops = new StopStringMatcher(o.stop);
    const history = [...promptIds];
    const generated: number[] = [];
    let pendingIds: number[] = [];
    let text = '';

    const t0 = performance.now();
    let finish: FinishReason | null = room === 0 ? 'length' : null;
    let logits = finish === null ? await prefill(model, cache, promptIds, throwIfAborted) : new Float64Array(0);
    const tPrefill = performance.now();
    let tFirst = tPrefill;
    // Plain greedy decoding asks the model for the argmax itself (found on the device where the backend can): a step
    // then reads one integer instead of the logits. `next` holds it; null means sample from `logits`.
    const argmaxStep = isPlainGreedy(o.sampling) ? model.forwardArgmax?.bind(model) : undefined;
    let next: number | null = null;

    // The forward pass that feeds `token` back: the next token's argmax, or (sampling) its logits. Each is started
    // after yieldThenCheck: a turn of the event loop (timers, I/O, abort events), then the abort check.
    const step = async (token: number): Promise<void> => {
      if (argmaxStep !== undefined) next = await argmaxStep(Int32Array.of(token), cache);
      // The last logits are sampled and done with: their array takes the next ones (no 0.5 MB of garbage a token).
      else logits = (await model.forward(Int32Array.of(token), cache, { reuse: logits })).data;
    };
    const yieldThenCheck = async (): Promise<void> => {
      await yieldToEventLoop();
      throwIfAborted();
    };

    while (finish === null) {
      const token = next ?? sampleToken(logits, history, o.sampling, rng);
      if (generated.length === 0) tFirst = performance.now();
      generated.push(token);
      history.push(token);
      pendingIds.push(token);
      if (!o.ignoreEos && eosIds.has(token)) {
        finish = 'eos';
        break;
      }
      const full = generated.length >= room;
      // Without stop strings, going on is decided before the token's text is known: the next forward pass starts
      // first and runs while the tokenizer decodes (a thread-pool call), instead of after it. Its rejection is
      // observed below; the no-op handler only keeps an early exit from leaving it unhandled.
      if (o.stop.length === 0 && !full) {
        await yieldThenCheck();
        ahead = step(token);
        ahead.catch(() => undefined);
      }
      const piece = stops.push(await detok.push(token));
      if (piece.length > 0) {
        text += piece;
        yield { text: piece, tokenIds: pendingIds };
        pendingIds = [];
      }
      if (stops.isStopped) finish = 'stop';
      else if (full) finish = 'length';
      else if (ahead !== null) await ahead;
      else {
        await yieldThenCheck();
        await step(token);
      }
      ahead = null;
    }

    const tail = finish === 'stop' ? '' : stops.push(await detok.flush()) + stops.flush();
    if (tail.length > 0 || pendingIds.length > 0) {
      text += tail;
      yield { text: tail, tokenIds: pendingIds };
    }
    const tEnd = performance.now();
    const decodeMs = tEnd - tFirst;
    return {
      text,
      tokenIds: generated,
      promptTokenIds: [...promptIds],
      finishReason: finish,
      seed: o.seed,
      backend: model.backendName,
      usage: {
        promptTokens: promptIds.length,
        generatedTokens: generated.length,
        prefillMs: tPrefill - t0,
        prefillTokensPerSecond: (promptIds.length * 1000) / Math.max(tPrefill - t0, 1e-6),
        decodeMs,
        decodeTokensPerSecond: generated.length > 1 ? ((generated.length - 1) * 1000) / Math.max(decodeMs, 1e-6) : 0,
        backend: model.backendInfo,
      },
    };
  } finally {
    // The cache's memory goes back to the backend however the generation ends (done, stop, abort, error) — after a
    // forward pass started ahead has finished with it (a consumer leaving early would otherwise free it underneath).
    if (ahead !== null) await ahead.catch(() => undefined);
    cache.release();
  }
}

/** Runs the prompt through the model in chunks; returns the last position's logits. */
async function prefill(
  model: Model,
  cache: ReturnType<Model['createCache']>,
  ids: readonly number[],
  throwIfAborted: () => void,
): Promise<Float64Array | Float32Array> {
  let last: Float64Array | Float32Array | null = null;
  const chunk = model.backendInfo.prefillChunk ?? PREFILL_CHUNK;
  for (let start = 0; start < ids.length; start += chunk) {
    throwIfAborted();
    last = (await model.forward(Int32Array.from(ids.slice(start, start + chunk)), cache)).data;
    if (start + chunk < ids.length) await yieldToEventLoop();
  }
  return last as Float64Array | Float32Array;
}

/**
 * Lets timers, I/O, abort events and (in a browser) rendering run between tokens; the forward pass itself is
 * synchronous work. Browsers have no setImmediate, and clamp a chain of setTimeout(0) to 4 ms each (HTML "timer
 * nesting"), which would cap a small model near 250 tokens/s; a MessageChannel message is a task without that delay.
 */
export function yieldToEventLoop(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  if (typeof MessageChannel === 'function') {
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}
