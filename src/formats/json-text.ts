/**
 * Parses a small JSON file's contents (config.json, generation_config.json, …) with a size cap, turning every
 * failure into a FormatError that names the file. JSON.parse never invokes `__proto__` setters, and callers read
 * keys with Object.hasOwn, so a hostile file cannot pollute prototypes. json-file.ts reads such files from disk.
 */
import { FormatError } from '../errors.js';

export const MAX_JSON_BYTES = 64 * 1024 * 1024;

/** `bytes` as JSON (UTF-8; a BOM is kept, so it fails as it does when json-file.ts reads the same file). */
export function parseJsonBytes(path: string, bytes: Uint8Array, maxBytes = MAX_JSON_BYTES): unknown {
  if (bytes.length > maxBytes) throw new FormatError(path, `is ${bytes.length} bytes; the limit for this file is ${maxBytes}`);
  return parseJsonText(path, new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes));
}

export function parseJsonText(path: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new FormatError(path, `is not valid JSON: ${(err as Error).message}`, {}, { cause: err });
  }
}
