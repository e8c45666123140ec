/**
 * A Hugging Face model folder fetched over HTTP (a browser page's own server, or any URL the page may read): its
 * files are downloaded whole into a memory ModelFolder. Uses the global `fetch` (browsers, Node 18+), or the one
 * passed in.
 */
import { FormatError } from '../errors.js';
import { joinLocation, memoryFolder, type ModelFolder } from './model-folder.js';
import { parseJsonBytes } from './json-text.js';

export interface FetchFolderOptions {
  /** The fetch to use (default: the global one). */
  readonly fetch?: (url: string, init?: { signal?: AbortSignal }) => Promise<Response>;
  readonly signal?: AbortSignal;
}

/** Files a model folder needs; `optional` ones may be absent (HTTP 404). */
const REQUIRED = ['config.json', 'tokenizer.json'];
const OPTIONAL = ['generation_config.json', 'tokenizer_config.json'];
const WEIGHTS = 'model.safetensors';
const INDEX = 'model.safetensors.index.json';

/**
 * Fetches the folder at `url` (config.json, tokenizer.json, model.safetensors — or model.safetensors.index.json and
 * the shards it names — and generation_config.json / tokenizer_config.json when present). FormatError naming the
 * URL of a file that cannot be fetched.
 */
export async function fetchModelFolder(url: string | URL, options: FetchFolderOptions = {}): Promise<ModelFolder> {
  const location = String(url).endsWith('/') ? String(url) : `${String(url)}/`;
  const doFetch = options.fetch ?? ((u: string, init?: { signal?: AbortSignal }) => fetch(u, init));
  const files = new Map<string, Uint8Array>();

  /** The bytes of `name`, or null when it is absent and `optional`. */
  const get = async (name: string, optional: boolean): Promise<Uint8Array | null> => {
    const fileUrl = joinLocation(location, name);
    let res: Response;
    try {
      res = await doFetch(fileUrl, { signal: options.signal });
    } catch (err) {
      if (options.signal?.aborted) throw err;
      throw new FormatError(fileUrl, `cannot be fetched: ${(err as Error).message}`, {}, { cause: err });
    }
    if (res.status === 404 && optional) return null;
    if (!res.ok) throw new FormatError(fileUrl, `cannot be fetched: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    files.set(name, bytes);
    return bytes;
  };

  const [weights] = await Promise.all([get(WEIGHTS, true), ...REQUIRED.map((n) => get(n, false)), ...OPTIONAL.map((n) => get(n, true))]);
  if (weights === null) {
    const index = await get(INDEX, true);
    if (index === null) throw new FormatError(joinLocation(location, WEIGHTS), 'not found (nor model.safetensors.index.json)');
    await Promise.all(shardNames(joinLocation(location, INDEX), index).map((n) => get(n, false)));
  }
  return memoryFolder(location, files);
}

/** The distinct shard files an index names (each a plain file name; hf-checkpoint.ts validates the rest). */
function shardNames(path: string, bytes: Uint8Array): string[] {
  const raw = parseJsonBytes(path, bytes) as { weight_map?: unknown };
  const map = raw !== null && typeof raw === 'object' && Object.hasOwn(raw, 'weight_map') ? raw.weight_map : undefined;
  if (typeof map !== 'object' || map === null) throw new FormatError(path, 'weight_map must be an object', { field: 'weight_map' });
  const names = new Set<string>();
  for (const [tensor, shard] of Object.entries(map)) {
    if (typeof shard !== 'string' || shard.includes('/') || shard.includes('\\')) {
      throw new FormatError(path, 'shard must be a file name in the same folder', { field: `weight_map.${tensor}` });
    }
    names.add(shard);
  }
  return [...names];
}
