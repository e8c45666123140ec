/**
 * bitnet-ts for browsers (`bitnet-ts/browser`): the same engine, generation loop, sampling, model and backends as the
 * Node entry (index.ts), with models loaded from URLs or from files in memory and a pure-JavaScript tokenizer that
 * agrees with the native one. Nothing here imports from Node (test/browser/browser-entry.test.ts checks the import
 * graph). The wasm backend's threads need a cross-origin isolated page (docs/browser.md).
 */
export { WebInferenceEngine as InferenceEngine, type WebLoadOptions, type WebModelSource, type SkippedBackend } from './engine/web-engine.js';
export { InferenceEngineBase, type LoadOptions, type Prompt } from './engine/base-engine.js';
export { GenerationStream } from './engine/stream.js';
export type { GenerateOptions } from './engine/options.js';
export type { FinishReason, GenerationChunk, GenerationResult, Usage } from './engine/result.js';
export type { PerplexityOptions, PerplexityResult } from './engine/perplexity.js';
export { sampleToken, argmax, type SamplingParams } from './engine/sampling.js';
export { Rng } from './random.js';

export type { Model, KvCache, Logits, ForwardOptions, ForwardObserver, TraceName } from './model/model.js';
export type { ModelConfig, FfnActivation } from './model/config.js';
export type { ModelWeights, LayerWeights, TernaryMatrix, FloatTable, WeightSource } from './model/weights.js';
export { weightSource, readAllWeights } from './model/weights.js';
export { BitNetModel } from './model/bitnet.js';
export { openHfCheckpoint, type HfCheckpoint, type OpenHfFolder } from './model/hf-checkpoint.js';
export { NUMERICS_PROFILES, type NumericsProfile, type ActivationMode } from './model/numerics.js';

export type { Backend, BackendInfo, BackendDescriptor, BackendOptions, DeviceWeights } from './backends/backend.js';
export { OP_NAMES, type OpName, type OpArgs, type BackendOps } from './backends/ops.js';
export { createBackend, backendNames, registerBackend } from './backends/registry.js';

export { memoryFolder, readFolderJson, readFolderText, type ModelFolder } from './formats/model-folder.js';
export { fetchModelFolder, type FetchFolderOptions } from './formats/fetch-folder.js';
export { memorySource, type ByteSource } from './formats/byte-source.js';
export { SafetensorsReader, parseSafetensorsHeader } from './formats/safetensors-reader.js';

export type { Tokenizer, TokenizerJson, EncodeOptions, DecodeOptions } from './tokenizer/tokenizer.js';
export { jsTokenizerFromJson, loadJsTokenizer } from './tokenizer/js-tokenizer.js';
export { renderChat, BITNET_2B4T_CHAT_TEMPLATE, type ChatMessage, type ModelChatTemplate } from './tokenizer/chat-template.js';
export type { Tensor, DType } from './tensor.js';

export {
  BitnetError,
  FormatError,
  ConfigError,
  ShapeError,
  UnsupportedOpError,
  BackendUnavailableError,
  DeviceError,
  ContextLengthError,
  TokenizerError,
  ChatTemplateError,
  InvalidOptionError,
  AbortError,
  type BitnetErrorCode,
} from './errors.js';
