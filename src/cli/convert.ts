/**
 * `bitnet convert HF_DIR --to tq2_0|tq1_0|i2_s -o OUT.gguf`: lossless conversion of a Hugging Face BitNet folder.
 * Progress (weights read, layers encoded) on stderr (progress.ts); with --json, one object on stdout.
 */
import { basename } from 'node:path';
import { convertHfToGguf, type ConvertResult, type GgufTernaryType } from '../convert/hf-to-gguf.js';
import { progress, type CommonOptions } from './io.js';
import { progressReporter } from './progress.js';

export interface ConvertCliOptions extends Pick<CommonOptions, 'json' | 'quiet' | 'verbose'> {
  to: GgufTernaryType;
  out: string;
}

export async function convertCommand(dir: string, opts: ConvertCliOptions): Promise<number> {
  const t0 = performance.now();
  const bar = progressReporter(`convert ${basename(dir)} to ${opts.to}`, opts);
  let r: ConvertResult;
  try {
    r = convertHfToGguf(dir, opts.out, opts.to, { onProgress: (p) => bar.update(p) });
  } finally {
    bar.stop();
  }
  const seconds = (performance.now() - t0) / 1000;
  progress(opts, `bitnet: wrote ${r.path} (${r.architecture}, ${opts.to}, ${r.tensors} tensors, ${(r.bytes / 2 ** 20).toFixed(1)} MiB of data) in ${seconds.toFixed(1)} s`);
  if (opts.json === true) process.stdout.write(`${JSON.stringify({ ...r, type: opts.to })}\n`);
  return 0;
}
