/**
 * A model folder on disk (Node): the ModelFolder of model-folder.ts over a directory.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileSource } from './file-io.js';
import type { ModelFolder } from './model-folder.js';

export function diskFolder(dir: string): ModelFolder {
  return {
    location: dir,
    pathOf: (name) => join(dir, name),
    has: (name) => existsSync(join(dir, name)),
    open: (name) => fileSource(join(dir, name)),
  };
}
