/**
 * What a generation returns: the text, the ids, why it stopped, and how fast it went.
 */

/** 'eos': an end-of-sequence token; 'length': maxTokens or a full context; 'stop': a stop string; 'abort': the signal fired. */
export type FinishReason = 'eos' | 'length' | 'stop' | 'abort';

import type { BackendInfo } from '../backends/backend.js';

export interface Usage {
  readonly promptTokens: number;
  readonly generatedTokens: number;
  readonly prefillMs: number;
  /** Prompt tokens per second of the prefill forward passes. */
  readonly prefillTokensPerSecond: number;
  readonly decodeMs: number;
  /** Tokens per second after the first generated token (0 when fewer than two were generated). */
  readonly decodeTokensPerSecond: number;
  /** The backend that ran it: name, precision, threads, SIMD features. */
  readonly backend: BackendInfo;
}

export interface GenerationResult {
  readonly text: string;
  /** Generated ids, including an end-of-sequence token that ended the run (its text is not in `text`). */
  readonly tokenIds: readonly number[];
  readonly promptTokenIds: readonly number[];
  readonly finishReason: FinishReason;
  readonly seed: number;
  readonly backend: string;
  readonly usage: Usage;
}

/** One piece of a stream: new text and the ids generated since the previous piece. */
export interface GenerationChunk {
  readonly text: string;
  readonly tokenIds: readonly number[];
}
