/**
 * The files of a model folder (a Hugging Face folder: config.json, model.safetensors, tokenizer.json, …), wherever
 * they are: a directory on disk (Node, disk-folder.ts) or files already in memory (a browser's fetched or picked
 * files, `memoryFolder`). Loaders read through this, so one loader serves both.
 */
import { FormatError } from '../errors.js';
import { memorySource, type ByteSource } from './byte-source.js';
import { MAX_JSON_BYTES, parseJsonBytes } from './json-text.js';

export interface ModelFolder {
  /** The folder as messages name it: a directory path or a URL. */
  readonly location: string;
  /** How errors name the file `name` of this folder (a joined path, a URL). */
  pathOf(name: string): string;
  has(name: string): boolean;
  /** Opens the file `name`; FormatError naming it when it is absent or unreadable. Close it when done. */
  open(name: string): ByteSource;
}

/** The file `name` of `folder` as JSON, within a size cap; FormatError naming the file for anything wrong. */
export function readFolderJson(folder: ModelFolder, name: string, maxBytes = MAX_JSON_BYTES): unknown {
  const source = folder.open(name);
  try {
    const path = folder.pathOf(name);
    if (source.size > maxBytes) throw new FormatError(path, `is ${source.size} bytes; the limit for this file is ${maxBytes}`);
    return parseJsonBytes(path, source.readInto(0, new Uint8Array(source.size)), maxBytes);
  } finally {
    source.close();
  }
}

/** The file `name` of `folder` as UTF-8 text (whole). */
export function readFolderText(folder: ModelFolder, name: string): string {
  const source = folder.open(name);
  try {
    return new TextDecoder('utf-8', { ignoreBOM: true }).decode(source.readInto(0, new Uint8Array(source.size)));
  } finally {
    source.close();
  }
}

/** `location` joined with a file name, with exactly one '/' between them. */
export function joinLocation(location: string, name: string): string {
  return location.endsWith('/') ? `${location}${name}` : `${location}/${name}`;
}

/**
 * A folder of files held in memory, by file name ("config.json", "model.safetensors", …). `location` names it in
 * errors (e.g. the URL the files came from). The bytes are read in place, not copied.
 */
export function memoryFolder(location: string, files: ReadonlyMap<string, Uint8Array> | Readonly<Record<string, Uint8Array>>): ModelFolder {
  const map = files instanceof Map ? files : new Map(Object.entries(files));
  const pathOf = (name: string): string => joinLocation(location, name);
  return {
    location,
    pathOf,
    has: (name) => map.has(name),
    open(name) {
      const bytes = map.get(name);
      if (bytes === undefined) throw new FormatError(pathOf(name), 'not found');
      return memorySource(pathOf(name), bytes);
    },
  };
}
