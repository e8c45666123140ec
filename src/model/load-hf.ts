/**
 * Hugging Face BitNet folders on disk (Node). The loading itself (config, shapes, ternary repacking) is
 * hf-checkpoint.ts's, which reads any ModelFolder.
 */
import { diskFolder } from '../formats/disk-folder.js';
import { openHfCheckpoint, type HfCheckpoint, type OpenHfFolder } from './hf-checkpoint.js';
import { reportingPieces, weightPieces, type LoadProgressCallback } from './load-progress.js';
import { readAllWeights } from './weights.js';

export { openHfCheckpoint, type HfCheckpoint, type OpenHfFolder } from './hf-checkpoint.js';

/**
 * Opens `dir`: reads config.json and generation_config.json and opens the safetensors; tensors are read when the
 * returned source asks for them. Throws FormatError / ConfigError naming the file and field (leaving no file open).
 */
export function openHfFolder(dir: string): OpenHfFolder {
  return openHfCheckpoint(diskFolder(dir));
}

/**
 * Loads `dir` whole; throws FormatError / ConfigError naming the file and field, and leaves no file open.
 * `onProgress` hears phase 'weights read', in pieces (load-progress.ts).
 */
export function loadHfFolder(dir: string, onProgress?: LoadProgressCallback): HfCheckpoint {
  const h = openHfFolder(dir);
  try {
    const total = weightPieces(h.weights);
    const weights = readAllWeights(onProgress === undefined ? h.weights : reportingPieces(h.weights, 'weights read', onProgress));
    onProgress?.({ phase: 'weights read', done: total, total });
    return { dir, config: h.config, weights, generationConfig: h.generationConfig };
  } finally {
    h.close();
  }
}
