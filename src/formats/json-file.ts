/**
 * Reads a small JSON file (config.json, generation_config.json, …) with a size cap, turning every failure into a
 * FormatError that names the file. JSON.parse never invokes `__proto__` setters, and callers read keys with
 * Object.hasOwn, so a hostile file cannot pollute prototypes.
 */
import { readFileSync, statSync } from 'node:fs';
import { FormatError } from '../errors.js';

export const MAX_JSON_BYTES = 64 * 1024 * 1024;

export function readJsonFile(path: string, maxBytes = MAX_JSON_BYTES): unknown {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (err) {
    throw new FormatError(path, 'cannot be read (missing?)', {}, { cause: err });
  }
  if (size > maxBytes) throw new FormatError(path, `is ${size} bytes; the limit for this file is ${maxBytes}`);
  const text = readFileSync(path, 'utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new FormatError(path, `is not valid JSON: ${(err as Error).message}`, {}, { cause: err });
  }
}
