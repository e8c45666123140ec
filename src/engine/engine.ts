/**
 * InferenceEngine for Node: loads a Hugging Face folder or a GGUF file by path (or the shipped default model),
 * with the native `tokenizers` addon, and runs on any registered backend. What an engine does once loaded is
 * base-engine.ts's, shared with the browser engine (web-engine.ts).
 */
import { join } from 'node:path';
import { diskFolder } from '../formats/disk-folder.js';
import { openCheckpoint } from '../model/load.js';
import { chatTemplateFromGguf } from '../tokenizer/chat-template.js';
import { specialTokens } from '../tokenizer/gguf-tokenizer.js';
import { loadGgufTokenizer, loadHfTokenizer } from '../tokenizer/hf-tokenizer.js';
import { InferenceEngineBase, type LoadOptions } from './base-engine.js';
import { collectGarbage } from './collect-garbage.js';
import { DEFAULT_MODEL_PATH } from './default-model.js';
import { hfModel, type OpenedModel } from './open-model.js';

export { InferenceEngineBase, type EngineParts, type LoadOptions, type Prompt } from './base-engine.js';

export class InferenceEngine extends InferenceEngineBase {
  /** Loads a Hugging Face BitNet folder or a GGUF file, or the shipped default model when `source` is omitted. */
  static async load(source: string = DEFAULT_MODEL_PATH, options: LoadOptions = {}): Promise<InferenceEngine> {
    const engine = new InferenceEngine(await InferenceEngineBase.assemble(options, () => openModel(source)));
    // The reading's garbage (the file's metadata and read buffers) would otherwise sit beside the weights.
    collectGarbage();
    return engine;
  }
}

/** Opens a model folder (native tokenizer) or a GGUF file (tokenizer and chat template from its metadata). */
async function openModel(source: string): Promise<OpenedModel> {
  const checkpoint = openCheckpoint(source);
  if (checkpoint.format === 'hf') return hfModel(diskFolder(source), checkpoint, () => loadHfTokenizer(join(source, 'tokenizer.json')));
  try {
    const meta = checkpoint.metadata;
    const tokenizer = await loadGgufTokenizer(meta);
    // Building it from a large vocabulary leaves tens of MB of strings: collected before the weights are read.
    collectGarbage();
    return {
      source,
      config: checkpoint.config,
      weights: checkpoint.weights,
      tokenizer,
      eosTokenIds: [...checkpoint.config.eosTokenIds, ...specialTokens(meta).endOfGeneration],
      defaults: {},
      chatTemplate: chatTemplateFromGguf(meta),
      close: () => checkpoint.close(),
    };
  } catch (err) {
    checkpoint.close();
    throw err;
  }
}
