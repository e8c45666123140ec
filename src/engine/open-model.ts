/**
 * What the engine needs from a model besides a backend (config, weights to upload, tokenizer, stop ids, sampling
 * defaults, chat template), gathered from a Hugging Face folder wherever its files are. The Node engine (engine.ts)
 * and the browser engine (web-engine.ts) differ only in how they reach the files and which tokenizer they build.
 */
import type { ModelFolder } from '../formats/model-folder.js';
import type { ModelConfig } from '../model/config.js';
import { openHfCheckpoint, type OpenHfFolder } from '../model/hf-checkpoint.js';
import type { WeightSource } from '../model/weights.js';
import { chatTemplateFromHfFolder, type ModelChatTemplate } from '../tokenizer/chat-template.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { defaultsFromGenerationConfig, type GenerateOptions } from './options.js';

/** An opened model: its weights are read when the engine uploads them; close() releases its files after that. */
export interface OpenedModel {
  /** Where it was loaded from (a path or a URL). */
  readonly source: string;
  readonly config: ModelConfig;
  readonly weights: WeightSource;
  readonly tokenizer: Tokenizer;
  /** Every id that ends a generation: the config's, plus generation_config.json's or the GGUF's end-of-turn ids. */
  readonly eosTokenIds: readonly number[];
  /** Sampling defaults from the model (generation_config.json). */
  readonly defaults: GenerateOptions;
  readonly chatTemplate: ModelChatTemplate | null;
  close(): void;
}

/** Builds the tokenizer of an HF folder from its tokenizer.json (native in Node, pure JavaScript in a browser). */
export type FolderTokenizer = (folder: ModelFolder) => Promise<Tokenizer>;

/** Opens a Hugging Face folder; FormatError / ConfigError / TokenizerError naming the file, leaving nothing open. */
export function openHfModel(folder: ModelFolder, tokenizer: FolderTokenizer): Promise<OpenedModel> {
  return hfModel(folder, openHfCheckpoint(folder), tokenizer);
}

/** The model of `checkpoint`, already opened from `folder`; closes it if anything fails. */
export async function hfModel(folder: ModelFolder, checkpoint: OpenHfFolder, tokenizer: FolderTokenizer): Promise<OpenedModel> {
  try {
    const gen = checkpoint.generationConfig;
    const genEos = gen !== null && Object.hasOwn(gen, 'eos_token_id') ? [gen.eos_token_id].flat() : [];
    return {
      source: folder.location,
      config: checkpoint.config,
      weights: checkpoint.weights,
      tokenizer: await tokenizer(folder),
      eosTokenIds: [...checkpoint.config.eosTokenIds, ...genEos.filter((x): x is number => Number.isSafeInteger(x))],
      defaults: defaultsFromGenerationConfig(gen),
      chatTemplate: chatTemplateFromHfFolder(folder),
      close: () => checkpoint.close(),
    };
  } catch (err) {
    checkpoint.close();
    throw err;
  }
}
