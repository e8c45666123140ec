/**
 * Hugging Face BitNet folders on disk (Node). The loading itself (config, shapes, ternary repacking) is
 * hf-checkpoint.ts's, which reads any ModelFolder.
 */
import { diskFolder } from '../formats/disk-folder.js';
import { openHfCheckpoint, type HfCheckpoint, type OpenHfFolder } from './hf-checkpoint.js';
import { readAllWeights } from './weights.js';

export { openHfCheckpoint, type HfCheckpoint, type OpenHfFolder } from './hf-checkpoint.js';

/**
 * Opens `dir`: reads config.json and generation_config.json and opens the safetensors; tensors are read when the
 * returned source asks for them. Throws FormatError / ConfigError naming the file and field (leaving no file open).
 */
export function openHfFolder(dir: string): OpenHfFolder {
  return openHfCheckpoint(diskFolder(dir));
}

/** Loads `dir` whole; throws FormatError / ConfigError naming the file and field, and leaves no file open. */
export function loadHfFolder(dir: string): HfCheckpoint {
  const h = openHfFolder(dir);
  try {
    return { dir, config: h.config, weights: readAllWeights(h.weights), generationConfig: h.generationConfig };
  } finally {
    h.close();
  }
}
