/** The fuzz tests' check on a ModelConfig that a loader accepted (GGUF metadata or config.json). */
import type { ModelConfig } from '../../src/model/config.js';

/** A config that loaded must describe a model: positive sizes that agree, finite positive constants, ids in range. */
export function expectSaneConfig(c: ModelConfig): void {
  for (const k of ['vocabSize', 'hiddenSize', 'intermediateSize', 'numLayers', 'numHeads', 'numKvHeads', 'headDim', 'contextLength'] as const) {
    if (!(Number.isSafeInteger(c[k]) && c[k] > 0 && c[k] <= 2 ** 32 - 1)) throw new Error(`config.${k} is ${c[k]}`);
  }
  if (c.numHeads % c.numKvHeads !== 0) throw new Error(`config: ${c.numKvHeads} kv heads do not divide ${c.numHeads}`);
  if (c.headDim % 2 !== 0) throw new Error(`config: head dim ${c.headDim} is odd`);
  for (const k of ['ropeTheta', 'rmsNormEps'] as const) if (!(Number.isFinite(c[k]) && c[k] > 0)) throw new Error(`config.${k} is ${c[k]}`);
  if (c.activation !== 'relu2' && c.activation !== 'silu') throw new Error(`config.activation is ${String(c.activation)}`);
  if (typeof c.tieWordEmbeddings !== 'boolean') throw new Error(`config.tieWordEmbeddings is ${String(c.tieWordEmbeddings)}`);
  for (const id of [...c.eosTokenIds, ...(c.bosTokenId === null ? [] : [c.bosTokenId])]) {
    if (!(Number.isSafeInteger(id) && id >= 0 && id < c.vocabSize)) throw new Error(`config: special token id ${id} outside the vocabulary of ${c.vocabSize}`);
  }
}
