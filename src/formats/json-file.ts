/**
 * Reads a small JSON file (config.json, generation_config.json, …) from disk (Node) with a size cap; parsing and its
 * errors are json-text.ts's, shared with the in-memory model folders a browser uses.
 */
import { readFileSync, statSync } from 'node:fs';
import { FormatError } from '../errors.js';
import { MAX_JSON_BYTES, parseJsonText } from './json-text.js';

export { MAX_JSON_BYTES } from './json-text.js';

export function readJsonFile(path: string, maxBytes = MAX_JSON_BYTES): unknown {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (err) {
    throw new FormatError(path, 'cannot be read (missing?)', {}, { cause: err });
  }
  if (size > maxBytes) throw new FormatError(path, `is ${size} bytes; the limit for this file is ${maxBytes}`);
  return parseJsonText(path, readFileSync(path, 'utf8'));
}
