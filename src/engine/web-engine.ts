/**
 * InferenceEngine for browsers (and any JavaScript runtime without Node's file system): loads a Hugging Face
 * folder from a URL (fetched) or from files already in memory, tokenizes with the pure-JS tokenizer, and runs on
 * any registered backend. Imports nothing from Node. What an engine does once loaded is base-engine.ts's.
 */
import { BackendUnavailableError } from '../errors.js';
import { fetchModelFolder, type FetchFolderOptions } from '../formats/fetch-folder.js';
import type { ModelFolder } from '../formats/model-folder.js';
import { loadJsTokenizer } from '../tokenizer/js-tokenizer.js';
import { InferenceEngineBase, type LoadOptions } from './base-engine.js';
import { openHfModel } from './open-model.js';

/** A model: the URL of a Hugging Face folder, or its files (memoryFolder, fetchModelFolder). */
export type WebModelSource = string | URL | ModelFolder;

export interface WebLoadOptions extends LoadOptions, FetchFolderOptions {}

/** A backend that was tried and skipped, and why (BackendUnavailableError's reason). */
export interface SkippedBackend {
  readonly backend: string;
  readonly reason: string;
}

export class WebInferenceEngine extends InferenceEngineBase {
  /**
   * Loads a Hugging Face BitNet folder from a URL or from memory. With a URL the backend is created first, so an
   * unavailable one fails before anything is downloaded.
   */
  static async load(source: WebModelSource, options: WebLoadOptions = {}): Promise<WebInferenceEngine> {
    const open = async () => openHfModel(isFolder(source) ? source : await fetchModelFolder(source, options), loadJsTokenizer);
    return new WebInferenceEngine(await InferenceEngineBase.assemble(options, open));
  }

  /**
   * Loads the model on the first of `backends` that is available, and says which were skipped and why (a backend
   * this build does not have, or one the browser cannot run). Files are fetched once. Errors other than an
   * unavailable backend are thrown at once; when none is available, a BackendUnavailableError gives every reason.
   */
  static async loadFirstAvailable(
    source: WebModelSource,
    backends: readonly string[],
    options: WebLoadOptions = {},
  ): Promise<{ engine: WebInferenceEngine; skipped: SkippedBackend[] }> {
    const folder = isFolder(source) ? source : await fetchModelFolder(source, options);
    const skipped: SkippedBackend[] = [];
    for (const backend of backends) {
      try {
        return { engine: await WebInferenceEngine.load(folder, { ...options, backend }), skipped };
      } catch (err) {
        if (!(err instanceof BackendUnavailableError)) throw err;
        skipped.push({ backend, reason: err.reason });
      }
    }
    const reasons = skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ');
    throw new BackendUnavailableError(backends.join(', ') || '(none)', reasons || 'no backend was named');
  }
}

function isFolder(source: WebModelSource): source is ModelFolder {
  return typeof source === 'object' && !(source instanceof URL);
}
