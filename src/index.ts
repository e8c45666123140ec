/**
 * bitnet-ts public API.
 */
export { InferenceEngine, InferenceEngineBase, type LoadOptions, type Prompt } from './engine/engine.js';
export { GenerationStream } from './engine/stream.js';
export type { GenerateOptions } from './engine/options.js';
export type { FinishReason, GenerationChunk, GenerationResult, Usage } from './engine/result.js';
export type { PerplexityOptions, PerplexityResult } from './engine/perplexity.js';
export { DEFAULT_MODEL_PATH } from './engine/default-model.js';
export { sampleToken, argmax, type SamplingParams } from './engine/sampling.js';
export { Rng } from './random.js';

export type { Model, KvCache, Logits, ForwardOptions, ForwardObserver, TraceName } from './model/model.js';
export type { ModelConfig, FfnActivation } from './model/config.js';
export type { ModelWeights, LayerWeights, TernaryMatrix, FloatTable, WeightSource } from './model/weights.js';
export type { LoadProgress, LoadProgressCallback } from './model/load-progress.js';
export { weightSource, readAllWeights } from './model/weights.js';
export { BitNetModel } from './model/bitnet.js';
export { loadCheckpoint, openCheckpoint, isGguf, type Checkpoint, type OpenCheckpoint } from './model/load.js';
export { loadHfFolder, openHfFolder, openHfCheckpoint } from './model/load-hf.js';
export { loadGguf, openGguf } from './model/load-gguf.js';
export { NUMERICS_PROFILES, type NumericsProfile, type ActivationMode } from './model/numerics.js';

export { convertHfToGguf, GGUF_TERNARY_TYPES, type GgufTernaryType, type ConvertResult } from './convert/hf-to-gguf.js';
export { GgufFile, readGgufHeader, type GgufTensorInfo, type GgufHeader } from './formats/gguf/reader.js';
export { writeGguf, writeGgufStream, gguf, type GgufTensorToWrite, type GgufTensorSource } from './formats/gguf/writer.js';
export { synthesizeGguf, SYNTH_SHAPES, SYNTH_TYPES } from './convert/synth.js';
export { GgufMetadata, type GgufValue, type GgufValueType, type GgufArray } from './formats/gguf/metadata.js';
export { typeInfo as ggmlTypeInfo, type GgmlTypeInfo } from './formats/gguf/types.js';

export type { Backend, BackendInfo, BackendDescriptor, BackendOptions, DeviceWeights } from './backends/backend.js';
export { OP_NAMES, type OpName, type OpArgs, type BackendOps } from './backends/ops.js';
export { createBackend, backendNames, registerBackend } from './backends/registry.js';
export { uploadWeights } from './backends/upload.js';
export { resolveOptions as validateGenerateOptions } from './engine/options.js';

export type { Tokenizer, EncodeOptions, DecodeOptions } from './tokenizer/tokenizer.js';
export { loadHfTokenizer, tokenizerFromJson, loadGgufTokenizer } from './tokenizer/hf-tokenizer.js';
export { jsTokenizerFromJson, loadJsTokenizer } from './tokenizer/js-tokenizer.js';
export { tokenizerJsonFromGguf, specialTokens } from './tokenizer/gguf-tokenizer.js';
export { renderChat, BITNET_2B4T_CHAT_TEMPLATE, type ChatMessage, type ModelChatTemplate } from './tokenizer/chat-template.js';

export { SafetensorsFile, SafetensorsReader, parseSafetensorsHeader } from './formats/safetensors.js';
export { memoryFolder, readFolderJson, readFolderText, type ModelFolder } from './formats/model-folder.js';
export { diskFolder } from './formats/disk-folder.js';
export { memorySource, type ByteSource } from './formats/byte-source.js';
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
