/**
 * The browser engine (web-engine.ts: models from URLs or memory, pure-JS tokenizer) run in Node, where the same
 * model can also be loaded by path: fetched files (through a fake fetch over the shipped model's bytes) load the
 * same weights and give the oracle's greedy ids (golden/tiny-bitnet) and the Node engine's text; sharded folders,
 * missing files and unavailable backends fail or fall back as documented.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceEngine } from '../../src/engine/engine.js';
import { WebInferenceEngine } from '../../src/engine/web-engine.js';
import { BackendUnavailableError, FormatError } from '../../src/errors.js';
import { fetchModelFolder } from '../../src/formats/fetch-folder.js';
import { memoryFolder } from '../../src/formats/model-folder.js';
import { openHfCheckpoint } from '../../src/model/hf-checkpoint.js';
import { loadHfFolder } from '../../src/model/load-hf.js';
import { readAllWeights } from '../../src/model/weights.js';
import { rejected } from '../helpers/catch-error.js';
import { golden, MODEL_DIR } from '../helpers/golden.js';

const BASE = 'https://models.example/tiny-bitnet/';
const p0 = golden.prompts[0];

/** The shipped model's files by name. */
const shipped = (): Map<string, Uint8Array> => new Map(readdirSync(MODEL_DIR).map((name) => [name, new Uint8Array(readFileSync(join(MODEL_DIR, name)))]));

/** `value` with every typed array replaced by its type, length and SHA-256 (a deep toEqual of the arrays is slow). */
function digest(value: unknown): unknown {
  if (ArrayBuffer.isView(value)) {
    const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    return { type: value.constructor.name, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  }
  if (Array.isArray(value)) return value.map(digest);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, digest(v)]));
  return value;
}

/** A fetch that serves `files` under BASE (404 otherwise) and records what was asked for. */
function fakeFetch(files: ReadonlyMap<string, Uint8Array>): { fetch: (url: string) => Promise<Response>; requested: string[] } {
  const requested: string[] = [];
  return {
    requested,
    fetch: async (url: string) => {
      requested.push(url);
      const bytes = url.startsWith(BASE) ? files.get(url.slice(BASE.length)) : undefined;
      return bytes === undefined ? new Response('not found', { status: 404, statusText: 'Not Found' }) : new Response(bytes.slice());
    },
  };
}

describe('WebInferenceEngine: an HF folder fetched by URL', () => {
  let web: WebInferenceEngine;
  let node: InferenceEngine;
  let requested: string[];
  beforeAll(async () => {
    const f = fakeFetch(shipped());
    requested = f.requested;
    web = await WebInferenceEngine.load(BASE.slice(0, -1), { backend: 'reference', fetch: f.fetch });
    node = await InferenceEngine.load(MODEL_DIR, { backend: 'reference' });
  });
  afterAll(() => {
    web?.close();
    node?.close();
  });

  it('fetches the folder once, each file by its URL (no index when model.safetensors exists)', () => {
    expect([...requested].sort()).toEqual(
      ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'].map((n) => BASE + n),
    );
    expect(web.source).toBe(BASE);
    expect(web.backendInfo.name).toBe('reference');
  });

  it("streams the oracle's greedy ids, and the Node engine's exact chunks and text", async () => {
    const s = web.stream(p0.text, { greedy: true, maxTokens: 24 });
    const chunks: string[] = [];
    for await (const c of s) chunks.push(c.text);
    const r = await s.result;
    expect(r.promptTokenIds).toEqual(p0.input_ids);
    expect(r.tokenIds).toEqual(p0.greedy_ids.slice(0, 24));
    const n = node.stream(p0.text, { greedy: true, maxTokens: 24 });
    const nodeChunks: string[] = [];
    for await (const c of n) nodeChunks.push(c.text);
    expect(chunks).toEqual(nodeChunks);
    expect(r.text).toBe((await n.result).text);
  });

  it('reproduces a seeded sampled run of the Node engine', async () => {
    const options = { seed: 7, temperature: 0.9, topK: 40, topP: 0.95, maxTokens: 24 };
    expect((await web.generate(p0.text, options)).text).toBe((await node.generate(p0.text, options)).text);
  });
});

describe('model folders in memory', () => {
  it('read the same weights as the folder on disk', () => {
    const c = openHfCheckpoint(memoryFolder(BASE, shipped()));
    try {
      expect(digest(readAllWeights(c.weights))).toEqual(digest(loadHfFolder(MODEL_DIR).weights));
      expect(c.dir).toBe(BASE);
    } finally {
      c.close();
    }
  });

  it('fetch a sharded folder through its index', async () => {
    const files = shipped();
    const weights = files.get('model.safetensors')!;
    files.delete('model.safetensors');
    const names = Object.keys(JSON.parse(new TextDecoder().decode(weights.subarray(8, 8 + Number(new DataView(weights.buffer).getBigUint64(0, true)))))).filter((n) => n !== '__metadata__');
    const shard = 'model-00001-of-00001.safetensors';
    files.set('model.safetensors.index.json', new TextEncoder().encode(JSON.stringify({ weight_map: Object.fromEntries(names.map((n) => [n, shard])) })));
    files.set(shard, weights);
    const f = fakeFetch(files);
    const folder = await fetchModelFolder(BASE, { fetch: f.fetch });
    expect(f.requested).toContain(BASE + shard);
    const engine = await WebInferenceEngine.load(folder, { backend: 'reference' });
    try {
      expect((await engine.generate(p0.text, { greedy: true, maxTokens: 8 })).tokenIds).toEqual(p0.greedy_ids.slice(0, 8));
    } finally {
      engine.close();
    }
  });

  it('a missing required file or a failed request is a FormatError naming its URL; optional files may be absent', async () => {
    const files = shipped();
    files.delete('tokenizer.json');
    const err = await rejected(fetchModelFolder(BASE, { fetch: fakeFetch(files).fetch }));
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).file).toBe(`${BASE}tokenizer.json`);
    expect((err as Error).message).toContain('HTTP 404');

    const offline = async (): Promise<Response> => {
      throw new TypeError('Failed to fetch');
    };
    expect(((await rejected(fetchModelFolder(BASE, { fetch: offline }))) as Error).message).toMatch(/cannot be fetched: Failed to fetch/);

    const minimal = shipped();
    for (const n of ['generation_config.json', 'tokenizer_config.json', 'special_tokens_map.json']) minimal.delete(n);
    const folder = await fetchModelFolder(BASE, { fetch: fakeFetch(minimal).fetch });
    expect(folder.has('generation_config.json')).toBe(false);
    expect(folder.has('model.safetensors')).toBe(true);
  });
});

describe('backend choice', () => {
  it('an unavailable backend fails before anything is fetched', async () => {
    const f = fakeFetch(shipped());
    expect(await rejected(WebInferenceEngine.load(BASE, { backend: 'nope', fetch: f.fetch }))).toBeInstanceOf(BackendUnavailableError);
    expect(f.requested).toEqual([]);
  });

  it('loadFirstAvailable skips unavailable backends with their reasons, and names them all when none is left', async () => {
    const folder = memoryFolder(BASE, shipped());
    const { engine, skipped } = await WebInferenceEngine.loadFirstAvailable(folder, ['nope', 'reference']);
    try {
      expect(engine.backendInfo.name).toBe('reference');
      expect(skipped).toEqual([{ backend: 'nope', reason: expect.stringMatching(/^unknown backend \(known: .*reference/) }]);
    } finally {
      engine.close();
    }
    const err = await rejected(WebInferenceEngine.loadFirstAvailable(folder, ['nope', 'nada']));
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect((err as Error).message).toMatch(/nope: unknown backend .*; nada: unknown backend/);
  });
});
