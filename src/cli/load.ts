import { basename } from 'node:path';
import { passedOver } from '../backends/registry.js';
import { DEFAULT_MODEL_PATH } from '../engine/default-model.js';
import { InferenceEngine } from '../engine/engine.js';
import { progress, type CommonOptions } from './io.js';
import { progressReporter } from './progress.js';

/** Loads the model named by --model (or the shipped default) on --backend, reporting on stderr (a bar on a terminal). */
export async function loadEngine(opts: CommonOptions): Promise<InferenceEngine> {
  const t0 = performance.now();
  const bar = progressReporter(`loading ${basename(opts.model ?? DEFAULT_MODEL_PATH)}`, opts);
  let engine: InferenceEngine;
  try {
    engine = await InferenceEngine.load(opts.model, { backend: opts.backend, numerics: opts.numerics, threads: opts.threads, lmHead: opts.lmHead, onProgress: (p) => bar.update(p) });
  } finally {
    bar.stop();
  }
  const info = engine.backendInfo;
  progress(opts, `bitnet: loaded ${engine.source} in ${((performance.now() - t0) / 1000).toFixed(2)} s, backend ${info.name}, numerics ${opts.numerics ?? 'hf'}${opts.lmHead === 'int8' ? ', lm_head int8 (lossy)' : ''}`);
  if (opts.verbose === true) {
    const c = engine.config;
    progress(opts, `bitnet: backend ${info.name}: ${info.precision}, ${info.threads} thread(s), features ${info.features.join(' ') || 'none'}`);
    if ((opts.backend ?? 'auto') === 'auto') for (const p of await passedOver(info.name)) progress(opts, `bitnet: ${p.name} ${p.reason}`);
    progress(opts, `bitnet: model: ${c.numLayers} layers, hidden ${c.hiddenSize}, ${c.numHeads}/${c.numKvHeads} heads, vocab ${c.vocabSize}, context ${c.contextLength}, ${c.activation}`);
  }
  return engine;
}
