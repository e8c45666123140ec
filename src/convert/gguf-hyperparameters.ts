/**
 * The `ARCH.*` hyper-parameter keys of a BitNet GGUF (formats §5): the inverse of configFromGguf, shared by every
 * writer (`bitnet convert`, `bitnet synth`).
 */
import type { GgufValue } from '../formats/gguf/metadata.js';
import { gguf } from '../formats/gguf/writer.js';
import type { ModelConfig } from '../model/config.js';

export type GgufHyperParameters = Pick<
  ModelConfig,
  'vocabSize' | 'contextLength' | 'hiddenSize' | 'numLayers' | 'intermediateSize' | 'numHeads' | 'numKvHeads' | 'rmsNormEps' | 'ropeTheta' | 'headDim' | 'activation'
>;

export function ggufHyperParameters(arch: string, c: GgufHyperParameters): [string, GgufValue][] {
  const k = (key: string): string => `${arch}.${key}`;
  return [
    [k('vocab_size'), gguf.u32(c.vocabSize)],
    [k('context_length'), gguf.u32(c.contextLength)],
    [k('embedding_length'), gguf.u32(c.hiddenSize)],
    [k('block_count'), gguf.u32(c.numLayers)],
    [k('feed_forward_length'), gguf.u32(c.intermediateSize)],
    [k('attention.head_count'), gguf.u32(c.numHeads)],
    [k('attention.head_count_kv'), gguf.u32(c.numKvHeads)],
    [k('attention.layer_norm_rms_epsilon'), gguf.f32(c.rmsNormEps)],
    [k('rope.freq_base'), gguf.f32(c.ropeTheta)],
    [k('rope.dimension_count'), gguf.u32(c.headDim)],
    // llama.cpp's key for the FFN activation; its `bitnet` graph ignores it and uses SiLU (formats §8).
    [k('hidden_activation'), gguf.string(c.activation)],
  ];
}
