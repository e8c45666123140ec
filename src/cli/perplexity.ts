/**
 * `bitnet perplexity --file TEXT | --tokens FILE`: the oracle's windowed perplexity (see engine/perplexity.ts).
 */
import { readFileSync } from 'node:fs';
import { FormatError, InvalidOptionError } from '../errors.js';
import { progress, type CommonOptions } from './io.js';
import { loadEngine } from './load.js';
import { progressReporter } from './progress.js';

export interface PerplexityCliOptions extends CommonOptions {
  file?: string;
  tokens?: string;
  maxTokens?: number;
  window?: number;
}

export async function perplexityCommand(opts: PerplexityCliOptions): Promise<number> {
  if ((opts.file === undefined) === (opts.tokens === undefined)) throw new InvalidOptionError('--file/--tokens', 'exactly one of them is required');
  const input = opts.file !== undefined ? readFileSync(opts.file, 'utf8') : readTokenFile(opts.tokens as string);
  const engine = await loadEngine(opts);
  try {
    const t0 = performance.now();
    const bar = progressReporter('perplexity', opts);
    const r = await engine.perplexity(input, {
      window: opts.window,
      maxPredictions: opts.maxTokens,
      onProgress: (done, total) => bar.update({ phase: 'tokens scored', done, total }),
    }).finally(() => bar.stop());
    const seconds = (performance.now() - t0) / 1000;
    progress(opts, `bitnet: scored ${r.tokens} tokens in ${seconds.toFixed(1)} s (${(r.tokens / seconds).toFixed(1)} tok/s)`);
    process.stdout.write(opts.json === true ? `${JSON.stringify({ perplexity: r.perplexity, tokens: r.tokens })}\n` : `perplexity ${r.perplexity} over ${r.tokens} tokens\n`);
    return 0;
  } finally {
    engine.close();
  }
}

/** A raw little-endian int32 token file (as golden/tiny-bitnet/heldout_tokens.i32.bin). */
function readTokenFile(path: string): Int32Array {
  const bytes = readFileSync(path);
  if (bytes.length % 4 !== 0) throw new FormatError(path, `has ${bytes.length} bytes, not a whole number of int32 tokens`);
  const out = new Int32Array(bytes.length / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}
