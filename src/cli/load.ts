import { InferenceEngine } from '../engine/engine.js';
import { progress, type CommonOptions } from './io.js';

/** Loads the model named by --model (or the shipped default) on --backend, reporting on stderr. */
export async function loadEngine(opts: CommonOptions): Promise<InferenceEngine> {
  const t0 = performance.now();
  const engine = await InferenceEngine.load(opts.model, { backend: opts.backend, numerics: opts.numerics, threads: opts.threads, lmHead: opts.lmHead });
  const info = engine.backendInfo;
  progress(opts, `bitnet: loaded ${engine.source} in ${((performance.now() - t0) / 1000).toFixed(2)} s, backend ${info.name}, numerics ${opts.numerics ?? 'hf'}${opts.lmHead === 'int8' ? ', lm_head int8 (lossy)' : ''}`);
  if (opts.verbose === true) {
    const c = engine.config;
    progress(opts, `bitnet: backend ${info.name}: ${info.precision}, ${info.threads} thread(s), features ${info.features.join(' ') || 'none'}`);
    progress(opts, `bitnet: model: ${c.numLayers} layers, hidden ${c.hiddenSize}, ${c.numHeads}/${c.numKvHeads} heads, vocab ${c.vocabSize}, context ${c.contextLength}, ${c.activation}`);
  }
  return engine;
}
