/**
 * `bitnet logits --prompt TEXT --out FILE`: writes the float32 logits of every prompt position, row-major
 * [T, vocab], little-endian, no header (the layout of the golden files).
 */
import { writeFileSync } from 'node:fs';
import { progress, type CommonOptions } from './io.js';
import { loadEngine } from './load.js';

export interface LogitsCliOptions extends CommonOptions {
  prompt: string;
  out: string;
  bos?: boolean;
}

export async function logitsCommand(opts: LogitsCliOptions): Promise<number> {
  const engine = await loadEngine(opts);
  try {
    const l = await engine.logits(opts.prompt, { addSpecialTokens: opts.bos });
    const f32 = Float32Array.from(l.data);
    writeFileSync(opts.out, new Uint8Array(f32.buffer));
    progress(opts, `bitnet: wrote ${l.rows} x ${l.vocabSize} float32 logits to ${opts.out}`);
    if (opts.json === true) process.stdout.write(`${JSON.stringify({ out: opts.out, shape: [l.rows, l.vocabSize], dtype: 'float32', tokenIds: l.tokenIds })}\n`);
    return 0;
  } finally {
    engine.close();
  }
}
