/**
 * Opens a model source by kind: a Hugging Face folder (config.json + safetensors) or a GGUF file (recognised by
 * its magic, whatever its name). Tokenizers are the engine's business; this returns config, weights and what the
 * engine needs to find them.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../errors.js';
import { GGUF_MAGIC } from '../formats/gguf/reader.js';
import { openGguf, type GgufCheckpoint, type OpenGguf } from './load-gguf.js';
import { openHfFolder, type HfCheckpoint, type OpenHfFolder } from './load-hf.js';
import { readAllWeights } from './weights.js';

export type Checkpoint = ({ readonly format: 'hf' } & HfCheckpoint) | ({ readonly format: 'gguf' } & GgufCheckpoint);

/** An opened checkpoint whose weights are read on demand (the engine uploads them a layer at a time). */
export type OpenCheckpoint = ({ readonly format: 'hf' } & OpenHfFolder) | ({ readonly format: 'gguf' } & OpenGguf);

/** Opens `path` (config, metadata, open files); close it when the weights have been read. */
export function openCheckpoint(path: string): OpenCheckpoint {
  if (!existsSync(path)) throw new FormatError(path, 'no such file or directory');
  if (statSync(path).isDirectory()) {
    if (!existsSync(join(path, 'config.json'))) throw new FormatError(path, 'is a folder without config.json (expected a Hugging Face model folder)');
    return { format: 'hf', ...openHfFolder(path) };
  }
  if (isGguf(path)) return { format: 'gguf', ...openGguf(path) };
  throw new FormatError(path, 'is neither a GGUF file nor a model folder (config.json + model.safetensors)', { offset: 0 });
}

/** Loads `path` whole into memory (typed weights, tables as float32). */
export function loadCheckpoint(path: string): Checkpoint {
  const c = openCheckpoint(path);
  try {
    const weights = readAllWeights(c.weights);
    return c.format === 'hf'
      ? { format: 'hf', dir: c.dir, config: c.config, weights, generationConfig: c.generationConfig }
      : { format: 'gguf', path: c.path, config: c.config, weights, metadata: c.metadata };
  } finally {
    c.close();
  }
}

/** True when the file starts with the GGUF magic. */
export function isGguf(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = new Uint8Array(4);
    return readSync(fd, head, 0, 4, 0) === 4 && new DataView(head.buffer).getUint32(0, true) === GGUF_MAGIC;
  } finally {
    closeSync(fd);
  }
}
