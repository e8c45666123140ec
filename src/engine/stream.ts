/**
 * GenerationStream: an AsyncIterable of chunks over a running generation, plus `result`, a promise of the
 * whole GenerationResult. The generation runs as soon as the stream exists, whether or not anyone iterates.
 *
 * - Leaving a `for await` loop early (break, return, throw) cancels the generation.
 * - When the caller's AbortSignal fires, iteration throws AbortError; `result` resolves with finishReason 'abort'
 *   and the text produced so far, so a cancelled stream never leaves an unhandled rejection behind.
 * - Any other error rejects both iteration and `result`.
 */
import { AbortError } from '../errors.js';
import type { BackendInfo } from '../backends/backend.js';
import type { GenerationChunk, GenerationResult } from './result.js';

/** What is known about a run before it ends, to report a partial result on abort. */
export interface RunInfo {
  readonly promptTokenIds: readonly number[];
  readonly seed: number;
  readonly backend: string;
  readonly backendInfo: BackendInfo;
}

export class GenerationStream implements AsyncIterable<GenerationChunk> {
  /** Settles when the generation ends. */
  readonly result: Promise<GenerationResult>;
  private readonly queue: GenerationChunk[] = [];
  private wake: (() => void) | null = null;
  private done = false;
  private error: unknown = null;
  private cancelled = false;
  private iterated = false;
  private seenText = '';
  private readonly seenIds: number[] = [];

  constructor(source: AsyncGenerator<GenerationChunk, GenerationResult>, private readonly info: RunInfo) {
    this.result = this.pump(source);
    // The caller may never look at `result`; failures still reach them through iteration.
    this.result.catch(() => {});
  }

  private async pump(source: AsyncGenerator<GenerationChunk, GenerationResult>): Promise<GenerationResult> {
    try {
      for (;;) {
        if (this.cancelled) {
          await source.return(undefined as never);
          return this.partial();
        }
        const step = await source.next();
        if (step.done === true) return step.value;
        this.seenText += step.value.text;
        this.seenIds.push(...step.value.tokenIds);
        this.queue.push(step.value);
        this.notify();
      }
    } catch (err) {
      this.error = err;
      if (err instanceof AbortError) return this.partial();
      throw err;
    } finally {
      this.done = true;
      this.notify();
    }
  }

  /** The result of a run that was cancelled or aborted: what it produced so far (timings are not measured). */
  private partial(): GenerationResult {
    return {
      text: this.seenText,
      tokenIds: [...this.seenIds],
      promptTokenIds: this.info.promptTokenIds,
      finishReason: 'abort',
      seed: this.info.seed,
      backend: this.info.backend,
      usage: {
        promptTokens: this.info.promptTokenIds.length,
        generatedTokens: this.seenIds.length,
        prefillMs: 0,
        prefillTokensPerSecond: 0,
        decodeMs: 0,
        decodeTokensPerSecond: 0,
        backend: this.info.backendInfo,
      },
    };
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /** Stops the generation; `result` resolves with finishReason 'abort'. */
  cancel(): void {
    this.cancelled = true;
  }

  /** Collects the whole text (consumes the stream). */
  async text(): Promise<string> {
    let text = '';
    for await (const chunk of this) text += chunk.text;
    return text;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<GenerationChunk> {
    if (this.iterated) throw new Error('a GenerationStream can be iterated only once');
    this.iterated = true;
    try {
      for (;;) {
        const chunk = this.queue.shift();
        if (chunk !== undefined) {
          yield chunk;
          continue;
        }
        if (this.done) {
          if (this.error !== null) throw this.error;
          return;
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      if (!this.done) this.cancel();
    }
  }
}

