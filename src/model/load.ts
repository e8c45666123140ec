/**
 * Opens a model source by kind: a Hugging Face folder (config.json + safetensors) or a GGUF file (recognised by
 * its magic, whatever its name). Tokenizers are the engine's business; this returns config, weights and what the
 * engine needs to find them.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../errors.js';
import { GGUF_MAGIC } from '../formats/gguf/reader.js';
import { loadGguf, type GgufCheckpoint } from './load-gguf.js';
import { loadHfFolder, type HfCheckpoint } from './load-hf.js';

export type Checkpoint = ({ readonly format: 'hf' } & HfCheckpoint) | ({ readonly format: 'gguf' } & GgufCheckpoint);

export function loadCheckpoint(path: string): Checkpoint {
  if (!existsSync(path)) throw new FormatError(path, 'no such file or directory');
  if (statSync(path).isDirectory()) {
    if (!existsSync(join(path, 'config.json'))) throw new FormatError(path, 'is a folder without config.json (expected a Hugging Face model folder)');
    return { format: 'hf', ...loadHfFolder(path) };
  }
  if (isGguf(path)) return { format: 'gguf', ...loadGguf(path) };
  throw new FormatError(path, 'is neither a GGUF file nor a model folder (config.json + model.safetensors)', { offset: 0 });
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
