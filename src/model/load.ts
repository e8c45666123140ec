/**
 * Opens a model source by kind. Today: a Hugging Face folder (config.json + safetensors). Tokenizer files are
 * the engine's business; this returns only config and weights.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../errors.js';
import { loadHfFolder, type HfCheckpoint } from './load-hf.js';

export type Checkpoint = HfCheckpoint;

export function loadCheckpoint(path: string): Checkpoint {
  if (!existsSync(path)) throw new FormatError(path, 'no such file or directory');
  if (statSync(path).isDirectory()) {
    if (!existsSync(join(path, 'config.json'))) throw new FormatError(path, 'is a folder without config.json (expected a Hugging Face model folder)');
    return loadHfFolder(path);
  }
  if (path.toLowerCase().endsWith('.gguf')) throw new FormatError(path, 'GGUF files are not supported yet; use a Hugging Face folder');
  throw new FormatError(path, 'is not a model folder (config.json + model.safetensors)');
}
