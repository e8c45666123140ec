/**
 * The model shipped inside the package (models/tiny-bitnet), used when no model is named.
 */
import { fileURLToPath } from 'node:url';

/** Absolute path of the shipped default model folder (same relative place from src/ and dist/). */
export const DEFAULT_MODEL_PATH = fileURLToPath(new URL('../../models/tiny-bitnet', import.meta.url));
