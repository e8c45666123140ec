/**
 * `bitnet run [PROMPT]`: streams a completion to stdout (or prints one JSON object with --json).
 */
import { resolveOptions, type GenerateOptions } from '../engine/options.js';
import { EXIT_INTERRUPTED, progress, readStdin, type CommonOptions } from './io.js';
import { loadEngine } from './load.js';
import { generateOptions, type SamplingCliOptions } from './sampling.js';

export interface RunOptions extends CommonOptions, SamplingCliOptions {
  bos?: boolean;
}

export async function runCommand(promptArg: string | undefined, opts: RunOptions): Promise<number> {
  const controller = new AbortController();
  const options: GenerateOptions = { ...generateOptions(opts), addSpecialTokens: opts.bos, signal: controller.signal };
  resolveOptions(options); // reject bad values before a model is loaded
  const prompt = promptArg ?? (process.stdin.isTTY ? '' : await readStdin());
  const engine = await loadEngine(opts);
  const onSigint = (): void => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSigint);
  try {
    const stream = engine.stream(prompt, options);
    if (opts.json !== true) {
      try {
        for await (const chunk of stream) process.stdout.write(chunk.text);
      } finally {
        process.stdout.write('\n');
      }
    }
    const r = await stream.result;
    if (opts.json === true) {
      const { text, tokenIds, promptTokenIds, backend, finishReason, seed, usage } = r;
      const out = {
        text, tokenIds, promptTokenIds, backend, finishReason, seed,
        usage: {
          promptTokens: usage.promptTokens,
          generatedTokens: usage.generatedTokens,
          prefillTokensPerSecond: usage.prefillTokensPerSecond,
          decodeTokensPerSecond: usage.decodeTokensPerSecond,
          backend: usage.backend,
        },
      };
      process.stdout.write(`${JSON.stringify(out)}\n`);
    }
    const u = r.usage;
    progress(opts, `bitnet: ${u.promptTokens} prompt tokens at ${u.prefillTokensPerSecond.toFixed(1)} tok/s, ${u.generatedTokens} generated at ${u.decodeTokensPerSecond.toFixed(1)} tok/s (${r.finishReason}, seed ${r.seed})`);
    return r.finishReason === 'abort' ? EXIT_INTERRUPTED : 0;
  } finally {
    process.off('SIGINT', onSigint);
    engine.close();
  }
}
