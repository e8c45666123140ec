/**
 * Numerics profiles: how activations are quantised before each ternary product, so that a user can reproduce
 * either reference exactly (docs/numerics.md):
 * - 'hf' (default): per-token absmax int8 before every BitLinear, as transformers' BitNetForCausalLM computes;
 * - 'llamacpp': what llama.cpp computes for the weight's storage type — Q8_K blocks of 256 for TQ1_0/TQ2_0,
 *   no quantisation for F16/F32/BF16 weights; per-token int8 otherwise (HF-packed and I2_S, which llama.cpp
 *   cannot load; bitnet.cpp quantises I2_S activations per row).
 */
import type { TernaryStorage } from './weights.js';

export type NumericsProfile = 'hf' | 'llamacpp';
export const NUMERICS_PROFILES: readonly NumericsProfile[] = ['hf', 'llamacpp'];

/** What happens to a BitLinear's input: int8 per token, Q8_K blocks, or nothing. */
export type ActivationMode = 'per-token' | 'q8k' | 'float';

export function activationMode(storage: TernaryStorage, profile: NumericsProfile): ActivationMode {
  if (profile === 'hf') return 'per-token';
  switch (storage) {
    case 'tq1_0':
    case 'tq2_0':
      return 'q8k';
    case 'f32':
    case 'f16':
    case 'bf16':
      return 'float';
    default:
      return 'per-token';
  }
}
