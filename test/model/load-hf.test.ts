/**
 * Hugging Face folder loading (formats §2.8, §4.1): the shipped model loads with its config.json values, and a
 * copy of it broken one way at a time fails with a typed error that names the file and the key or tensor.
 */
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceEngine } from '../../src/engine/engine.js';
import { ConfigError, FormatError, TokenizerError } from '../../src/errors.js';
import { loadHfFolder } from '../../src/model/load-hf.js';
import { loadCheckpoint } from '../../src/model/load.js';
import { rejected, thrown } from '../helpers/catch-error.js';
import { rawSafetensors, removeTempDirs, splitSafetensors, tempDir } from '../helpers/safetensors-writer.js';

const MODEL_DIR = fileURLToPath(new URL('../../models/tiny-bitnet', import.meta.url));

afterAll(removeTempDirs);

/** A fresh copy of the shipped folder. */
function copyModel(): string {
  const dir = tempDir('bitnet-ts-load-hf-');
  cpSync(MODEL_DIR, dir, { recursive: true });
  return dir;
}

/** A copy whose config.json went through `edit`. */
function withConfig(edit: (c: Record<string, unknown>) => void): { dir: string; configPath: string } {
  const dir = copyModel();
  const configPath = join(dir, 'config.json');
  const c = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  edit(c);
  writeFileSync(configPath, JSON.stringify(c, null, 2));
  return { dir, configPath };
}

/** A copy whose model.safetensors header went through `edit` (the data section is kept as it is). */
function withHeader(edit: (h: Record<string, Record<string, unknown>>) => void): { dir: string; weightsPath: string } {
  const dir = copyModel();
  const weightsPath = join(dir, 'model.safetensors');
  const { header, data } = splitSafetensors(readFileSync(weightsPath));
  edit(header as Record<string, Record<string, unknown>>);
  writeFileSync(weightsPath, rawSafetensors(header, data));
  return { dir, weightsPath };
}

function configError(dir: string, configPath: string, key: string): ConfigError {
  const err = thrown(() => loadHfFolder(dir));
  expect(err).toBeInstanceOf(ConfigError);
  const e = err as ConfigError;
  expect(e.code).toBe('CONFIG');
  expect(e.key).toBe(key);
  expect(e.source).toBe(configPath);
  expect(e.message).toContain(configPath);
  expect(e.message).toContain(`'${key}'`);
  return e;
}

function formatError(fn: () => unknown, file: string, field?: string): FormatError {
  const err = thrown(fn);
  expect(err).toBeInstanceOf(FormatError);
  const e = err as FormatError;
  expect(e.file).toBe(file);
  expect(e.message).toContain(file);
  if (field !== undefined) {
    expect(e.field).toBe(field);
    expect(e.message).toContain(field);
  }
  return e;
}

/** t from the packed HF bytes by formats §2.8: row r in packed row r mod R, bits 2·(r div R), t = code − 1. */
function unpackHfByHand(packed: Uint8Array, out: number, cols: number): number[] {
  const R = out / 4;
  const t: number[] = [];
  for (let r = 0; r < out; r++) for (let c = 0; c < cols; c++) t.push(((packed[(r % R) * cols + c] >> (2 * Math.floor(r / R))) & 3) - 1);
  return t;
}

/** t from the engine's ternary-rows bytes: column c in byte c >> 2 of its row, bits 2·(c & 3). */
function unpackRowsByHand(packed: Uint8Array, rows: number, cols: number): number[] {
  const rowBytes = Math.ceil(cols / 4);
  const t: number[] = [];
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t.push(((packed[r * rowBytes + (c >> 2)] >> (2 * (c & 3))) & 3) - 1);
  return t;
}

/** Index of the first element where a and b differ (−1 when equal); cheaper than toEqual on long arrays. */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

describe('loading the shipped models/tiny-bitnet', () => {
  let checkpoint: ReturnType<typeof loadCheckpoint>;
  beforeAll(() => {
    checkpoint = loadCheckpoint(MODEL_DIR);
  });
  const raw = JSON.parse(readFileSync(join(MODEL_DIR, 'config.json'), 'utf8')) as Record<string, unknown>;

  it('has the config values of its config.json', () => {
    expect(checkpoint.config).toEqual({
      source: join(MODEL_DIR, 'config.json'),
      vocabSize: 4096,
      hiddenSize: 256,
      intermediateSize: 704,
      numLayers: 8,
      numHeads: 8,
      numKvHeads: 4,
      headDim: 32, // no head_dim key: hidden / heads = 256 / 8
      ropeTheta: 500000,
      rmsNormEps: 1e-5,
      contextLength: 1024,
      activation: 'relu2',
      tieWordEmbeddings: true,
      bosTokenId: 0,
      eosTokenIds: [1],
    });
    // The literals above are the file's own values.
    expect([raw.vocab_size, raw.hidden_size, raw.num_hidden_layers, raw.num_attention_heads, raw.num_key_value_heads]).toEqual([4096, 256, 8, 8, 4]);
    expect([raw.max_position_embeddings, raw.hidden_act, raw.tie_word_embeddings, raw.bos_token_id, raw.eos_token_id]).toEqual([1024, 'relu2', true, 0, 1]);
    expect(checkpoint.format).toBe('hf');
    expect(checkpoint.format === 'hf' && checkpoint.generationConfig).toEqual({ _from_model_config: true, bos_token_id: 0, eos_token_id: 1 });
  });

  it('has weights of the config shapes, tied lm_head, and autobitlinear scales (W = t · weight_scale)', () => {
    const w = checkpoint.weights;
    expect(w.layers).toHaveLength(8);
    expect(w.lmHead).toBeNull();
    expect(w.tokenEmbedding.shape).toEqual([4096, 256]);
    expect(w.outputNorm.shape).toEqual([256]);
    const l = w.layers[5];
    // [rows, cols]: q, o 256×256; k, v (4 kv heads · 32) 128×256; gate, up 704×256; down 256×704.
    const dims = (m: { rows: number; cols: number; packed: Uint8Array }) => [m.rows, m.cols, m.packed.length];
    expect(dims(l.q)).toEqual([256, 256, 256 * 64]);
    expect(dims(l.k)).toEqual([128, 256, 128 * 64]);
    expect(dims(l.v)).toEqual([128, 256, 128 * 64]);
    expect(dims(l.o)).toEqual([256, 256, 256 * 64]);
    expect(dims(l.gate)).toEqual([704, 256, 704 * 64]);
    expect(dims(l.up)).toEqual([704, 256, 704 * 64]);
    expect(dims(l.down)).toEqual([256, 704, 256 * 176]);
    expect(l.attnSubNorm.shape).toEqual([256]);
    expect(l.ffnSubNorm.shape).toEqual([704]);
    // layer 0 q_proj.weight_scale is BF16 bytes AE 3D → 0x3DAE = (1 + 46/128)·2^−4 = 0.0849609375 (see the
    // safetensors test); linear_class is autobitlinear, so β = weight_scale itself.
    expect(checkpoint.weights.layers[0].q.scale).toBe(0.0849609375);
  });

  it('repacks every ternary weight of layer 0 exactly (formats §2.8 → ternary rows)', () => {
    const { header, data } = splitSafetensors(readFileSync(join(MODEL_DIR, 'model.safetensors')));
    const l = checkpoint.weights.layers[0];
    const cases = [
      ['self_attn.q_proj', l.q], ['self_attn.k_proj', l.k], ['self_attn.v_proj', l.v], ['self_attn.o_proj', l.o],
      ['mlp.gate_proj', l.gate], ['mlp.up_proj', l.up], ['mlp.down_proj', l.down],
    ] as const;
    for (const [name, m] of cases) {
      const [b, e] = (header[`model.layers.0.${name}.weight`] as { data_offsets: [number, number] }).data_offsets;
      const want = unpackHfByHand(data.subarray(b, e), m.rows, m.cols);
      expect(want.includes(2), `${name} has no code 3`).toBe(false);
      expect(firstDifference(unpackRowsByHand(m.packed, m.rows, m.cols), want), name).toBe(-1);
    }
  });

  it('InferenceEngine.load opens it with the reference backend', async () => {
    const engine = await InferenceEngine.load(MODEL_DIR, { backend: 'reference' });
    try {
      expect(engine.config.hiddenSize).toBe(256);
      expect(engine.tokenizer.vocabSize).toBe(4096);
    } finally {
      engine.close();
    }
  });
});

describe('a broken config.json is a ConfigError naming the key and the file', () => {
  it('unknown model_type', () => {
    const { dir, configPath } = withConfig((c) => { c.model_type = 'llama'; });
    expect(configError(dir, configPath, 'model_type').message).toContain('llama');
  });

  it('missing model_type', () => {
    const { dir, configPath } = withConfig((c) => { delete c.model_type; });
    configError(dir, configPath, 'model_type');
  });

  it('a key of the wrong type (hidden_size as a string, tie_word_embeddings as a number)', () => {
    const a = withConfig((c) => { c.hidden_size = '256'; });
    expect(configError(a.dir, a.configPath, 'hidden_size').message).toContain('"256"');
    const b = withConfig((c) => { c.tie_word_embeddings = 1; });
    configError(b.dir, b.configPath, 'tie_word_embeddings');
    const d = withConfig((c) => { c.num_hidden_layers = 8.5; });
    configError(d.dir, d.configPath, 'num_hidden_layers');
  });

  it('a missing required key', () => {
    for (const key of ['vocab_size', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads']) {
      const { dir, configPath } = withConfig((c) => { delete c[key]; });
      expect(configError(dir, configPath, key).message).toMatch(/missing/);
    }
  });

  it('num_key_value_heads that does not divide num_attention_heads', () => {
    const { dir, configPath } = withConfig((c) => { c.num_key_value_heads = 3; });
    configError(dir, configPath, 'num_key_value_heads');
  });

  it('a token id outside the vocabulary', () => {
    const { dir, configPath } = withConfig((c) => { c.eos_token_id = [1, 4096]; });
    configError(dir, configPath, 'eos_token_id');
  });
});

describe('config and tensors that disagree are a FormatError naming the tensor', () => {
  it('hidden_size inconsistent with the tensors', () => {
    // hidden 128 → embed_tokens must be [4096, 128]; the file has [4096, 256].
    const { dir } = withConfig((c) => { c.hidden_size = 128; });
    const e = formatError(() => loadHfFolder(dir), join(dir, 'model.safetensors'), 'model.embed_tokens.weight');
    expect(e.message).toContain('[4096, 256]');
  });

  it('intermediate_size inconsistent with the packed gate_proj', () => {
    // 700 → packed [175, 256]; the file has [176, 256].
    const { dir } = withConfig((c) => { c.intermediate_size = 700; });
    formatError(() => loadHfFolder(dir), join(dir, 'model.safetensors'), 'model.layers.0.mlp.gate_proj.weight');
  });

  it('more layers than the file has: the first missing tensor is named', () => {
    const { dir } = withConfig((c) => { c.num_hidden_layers = 9; });
    formatError(() => loadHfFolder(dir), join(dir, 'model.safetensors'), 'model.layers.8.input_layernorm.weight');
  });

  it('an untied config needs lm_head.weight', () => {
    const { dir } = withConfig((c) => { c.tie_word_embeddings = false; });
    formatError(() => loadHfFolder(dir), join(dir, 'model.safetensors'), 'lm_head.weight');
  });

  it('a missing tensor', () => {
    for (const name of ['model.layers.3.mlp.up_proj.weight_scale', 'model.layers.7.self_attn.v_proj.weight', 'model.norm.weight']) {
      const { dir, weightsPath } = withHeader((h) => { delete h[name]; });
      expect(formatError(() => loadHfFolder(dir), weightsPath, name).message).toMatch(/missing/);
    }
  });

  it('a packed weight stored with the wrong dtype (I8 instead of U8)', () => {
    const name = 'model.layers.0.self_attn.q_proj.weight';
    const { dir, weightsPath } = withHeader((h) => { h[name].dtype = 'I8'; });
    formatError(() => loadHfFolder(dir), weightsPath, `${name}.dtype`);
  });

  it('a norm weight stored as integers', () => {
    // BF16 [256] → I8 [256]: shrink the span to 256 bytes so the header stays valid.
    const name = 'model.layers.2.input_layernorm.weight';
    const { dir, weightsPath } = withHeader((h) => {
      const [b] = h[name].data_offsets as [number, number];
      h[name] = { dtype: 'I8', shape: [256], data_offsets: [b, b + 256] };
    });
    formatError(() => loadHfFolder(dir), weightsPath, `${name}.dtype`);
  });

  it('a code 3 in a packed weight', () => {
    // Set the first byte of layer 1's k_proj to 0xFF (four codes 3).
    const dir = copyModel();
    const path = join(dir, 'model.safetensors');
    const bytes = readFileSync(path);
    const { header, dataStart } = splitSafetensors(bytes);
    const name = 'model.layers.1.self_attn.k_proj.weight';
    bytes[dataStart + (header[name] as { data_offsets: [number, number] }).data_offsets[0]] = 0xff;
    writeFileSync(path, bytes);
    formatError(() => loadHfFolder(dir), path, name);
  });
});

describe('missing or unreadable files', () => {
  it('config.json that is not JSON is a FormatError naming it', () => {
    const dir = copyModel();
    writeFileSync(join(dir, 'config.json'), '{"model_type": "bitnet",');
    formatError(() => loadHfFolder(dir), join(dir, 'config.json'));
    formatError(() => loadCheckpoint(dir), join(dir, 'config.json'));
  });

  it('config.json that is JSON but not an object is a ConfigError', () => {
    const dir = copyModel();
    writeFileSync(join(dir, 'config.json'), '[1, 2, 3]');
    configError(dir, join(dir, 'config.json'), '(root)');
  });

  it('a missing config.json', () => {
    const dir = copyModel();
    rmSync(join(dir, 'config.json'));
    formatError(() => loadHfFolder(dir), join(dir, 'config.json'));
    expect(formatError(() => loadCheckpoint(dir), dir).message).toContain('config.json');
  });

  it('a missing model.safetensors', () => {
    const dir = copyModel();
    rmSync(join(dir, 'model.safetensors'));
    expect(formatError(() => loadHfFolder(dir), join(dir, 'model.safetensors')).message).toMatch(/not found/);
  });

  it('a path that does not exist', () => {
    const dir = join(tempDir('bitnet-ts-load-hf-'), 'nothing-here');
    formatError(() => loadCheckpoint(dir), dir);
  });

  it('a missing tokenizer.json: InferenceEngine.load rejects with a TokenizerError naming the path', async () => {
    const dir = copyModel();
    const path = join(dir, 'tokenizer.json');
    rmSync(path);
    const err = await rejected(InferenceEngine.load(dir, { backend: 'reference' }));
    expect(err).toBeInstanceOf(TokenizerError);
    expect((err as TokenizerError).code).toBe('TOKENIZER');
    expect((err as TokenizerError).message).toContain(path);
  });

  it('a corrupt tokenizer.json: InferenceEngine.load rejects with a TokenizerError naming the path', async () => {
    const dir = copyModel();
    const path = join(dir, 'tokenizer.json');
    writeFileSync(path, readFileSync(path, 'utf8').slice(0, 5000));
    const err = await rejected(InferenceEngine.load(dir, { backend: 'reference' }));
    expect(err).toBeInstanceOf(TokenizerError);
    expect((err as TokenizerError).message).toContain(path);
  });
});

describe('linear_class decides how weight_scale applies (formats §2.8)', () => {
  it("'bitlinear' makes every β the reciprocal of the autobitlinear one; the ternary codes are the same", () => {
    const auto = loadHfFolder(MODEL_DIR).weights;
    const { dir } = withConfig((c) => { (c.quantization_config as Record<string, unknown>).linear_class = 'bitlinear'; });
    const bit = loadHfFolder(dir).weights;
    for (let i = 0; i < 8; i++) {
      for (const p of ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const) {
        const a = auto.layers[i][p];
        const b = bit.layers[i][p];
        // bitlinear: W = t / weight_scale, autobitlinear: W = t · weight_scale.
        expect(b.scale, `layer ${i} ${p}`).toBe(1 / a.scale);
        expect(firstDifference(b.packed, a.packed), `layer ${i} ${p} packed`).toBe(-1);
      }
    }
    // Layer 0 q: 1 / 0.0849609375 = 1 / (87/1024) = 1024/87 ≈ 11.7701.
    expect(bit.layers[0].q.scale).toBeCloseTo(1024 / 87, 12);
  });

  it('without linear_class the HF default (bitlinear, divide) applies', () => {
    const { dir } = withConfig((c) => { delete (c.quantization_config as Record<string, unknown>).linear_class; });
    expect(loadHfFolder(dir).weights.layers[0].q.scale).toBeCloseTo(1024 / 87, 12);
  });

  it('an unknown linear_class or an online quantization_mode is a ConfigError', () => {
    const a = withConfig((c) => { (c.quantization_config as Record<string, unknown>).linear_class = 'fp16'; });
    configError(a.dir, a.configPath, 'quantization_config.linear_class');
    const b = withConfig((c) => { (c.quantization_config as Record<string, unknown>).quantization_mode = 'online'; });
    configError(b.dir, b.configPath, 'quantization_config.quantization_mode');
  });
});

describe('sharded checkpoints (model.safetensors.index.json)', () => {
  function sharded(shardName: string): string {
    const dir = copyModel();
    const { header } = splitSafetensors(readFileSync(join(dir, 'model.safetensors')));
    const names = Object.keys(header).filter((n) => n !== '__metadata__');
    cpSync(join(dir, 'model.safetensors'), join(dir, 'model-00001-of-00001.safetensors'));
    rmSync(join(dir, 'model.safetensors'));
    const weightMap = Object.fromEntries(names.map((n) => [n, shardName]));
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    return dir;
  }

  it('loads the same weights through the index', () => {
    const a = loadHfFolder(MODEL_DIR);
    const b = loadHfFolder(sharded('model-00001-of-00001.safetensors'));
    expect(b.weights.layers[3].down.packed).toEqual(a.weights.layers[3].down.packed);
    expect(b.weights.tokenEmbedding.data).toEqual(a.weights.tokenEmbedding.data);
  });

  it('a shard named by the index but absent is a FormatError naming the shard', () => {
    const dir = sharded('model-00002-of-00002.safetensors');
    formatError(() => loadHfFolder(dir), join(dir, 'model-00002-of-00002.safetensors'));
  });
});
