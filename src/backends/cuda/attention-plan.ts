/**
 * How the cuda backend's attention (src/kernels/cuda/attention.cu) divides a call among blocks: a block per
 * (row, kv head, group of up to ATTENTION_HEADS query heads), and, where that gives too few blocks to fill a device
 * (a decode step: one row, 2B-4T's 5 kv heads), the context split into spans of keys, one block each, combined by
 * the last block to finish. Prefill calls have blocks enough and take one span, so they never combine.
 */

/** attention.cu's ATT_CHUNK (keys a block takes at once) and query heads a block serves (ATT_HEADS). */
export const ATTENTION_THREADS = 128;
/** attention.cu's largest block, ATT_THREADS: ATT_SLICES (4) threads share each key and each output dimension. */
export const ATTENTION_SLICED_THREADS = 4 * ATTENTION_THREADS;
export const ATTENTION_HEADS = 4;
/** The head dimension one block covers (ATT_CHUNK * ATT_DIMS). */
export const ATTENTION_MAX_HEAD_DIM = 512;
/**
 * Spans are added until a call has about this many blocks: a few per multiprocessor of an H100/H200 (132), and
 * more blocks than keys-chunks are never made (a span is at least one chunk).
 */
export const ATTENTION_TARGET_BLOCKS = 256;

export interface AttentionPlan {
  /** Keys a span covers, a multiple of ATTENTION_THREADS. */
  readonly span: number;
  /** Spans of the longest row (startPos + T positions); shorter rows use fewer, their other blocks return at once. */
  readonly spans: number;
  /** Blocks of the launch. */
  readonly blocks: number;
  /**
   * Threads a block: ATTENTION_SLICED_THREADS when the call has fewer blocks than the target (decode:
   * each thread then waits on a quarter of the cache loads), else ATTENTION_THREADS (prefill: small blocks fill the
   * device and pay fewer barriers).
   */
  readonly threads: number;
  /** Floats of partial results the call needs ([T][H][spans][2 + D]; 0 with one span). */
  readonly partFloats: number;
  /** Counters the call needs (one per row, kv head and group; 0 with one span). */
  readonly counters: number;
}

/** `targetBlocks`: ATTENTION_TARGET_BLOCKS unless a test asks for another split. */
export function planAttention(T: number, numHeads: number, numKvHeads: number, headDim: number, startPos: number, targetBlocks = ATTENTION_TARGET_BLOCKS): AttentionPlan {
  const groups = Math.ceil(numHeads / numKvHeads / ATTENTION_HEADS);
  const rowBlocks = T * numKvHeads * groups;
  const chunks = Math.ceil((startPos + T) / ATTENTION_THREADS);
  const wanted = Math.min(chunks, Math.max(1, Math.ceil(targetBlocks / rowBlocks)));
  const span = Math.ceil(chunks / wanted) * ATTENTION_THREADS;
  const spans = Math.ceil((startPos + T) / span);
  const split = spans > 1;
  return {
    span,
    spans,
    blocks: rowBlocks * spans,
    threads: rowBlocks * spans < targetBlocks ? ATTENTION_SLICED_THREADS : ATTENTION_THREADS,
    partFloats: split ? T * numHeads * spans * (2 + headDim) : 0,
    counters: split ? rowBlocks : 0,
  };
}
