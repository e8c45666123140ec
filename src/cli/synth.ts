/**
 * `bitnet synth --shape 700m|2b4t|tiny --type tq2_0|tq1_0|i2_s|f16 --seed N -o OUT.gguf`: a random BitNet GGUF of a
 * named shape (src/convert/synth.ts), for benchmarks and tests. Progress per tensor on stderr (progress.ts); with
 * --json, one object on stdout.
 */
import { synthesizeGguf, type SynthShapeName, type SynthType } from '../convert/synth.js';
import { progress, type CommonOptions } from './io.js';
import { progressReporter } from './progress.js';

export interface SynthCliOptions extends Pick<CommonOptions, 'json' | 'quiet' | 'verbose'> {
  shape: SynthShapeName;
  type: SynthType;
  seed: number;
  out: string;
}

export async function synthCommand(opts: SynthCliOptions): Promise<number> {
  const t0 = performance.now();
  const bar = progressReporter(`synth ${opts.shape} ${opts.type}`, opts);
  let count = 0;
  let r: ReturnType<typeof synthesizeGguf>;
  try {
    r = synthesizeGguf({
      shape: opts.shape,
      type: opts.type,
      seed: opts.seed,
      out: opts.out,
      onTensor: (_name, index, n) => {
        count = n;
        bar.update({ phase: 'tensors written', done: index, total: n });
      },
    });
    bar.update({ phase: 'tensors written', done: count, total: count });
  } finally {
    bar.stop();
  }
  const seconds = (performance.now() - t0) / 1000;
  progress(opts, `bitnet: wrote ${r.path} (synthetic ${opts.shape}, ${opts.type}, seed ${opts.seed}, ${r.tensors} tensors, ${(r.bytes / 2 ** 20).toFixed(1)} MiB) in ${seconds.toFixed(1)} s`);
  if (opts.json === true) {
    process.stdout.write(`${JSON.stringify({ path: r.path, shape: opts.shape, type: opts.type, seed: opts.seed, architecture: 'bitnet', tensors: r.tensors, bytes: r.bytes, seconds })}\n`);
  }
  return 0;
}
