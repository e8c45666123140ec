/**
 * Loads a Hugging Face BitNet folder (config.json + model.safetensors in the offline-packed layout of
 * microsoft/bitnet-b1.58-2B-4T, formats §2.8) into a ModelConfig and backend-neutral ModelWeights, from any
 * ModelFolder (a directory in Node: load-hf.ts; files in memory in a browser). Tensor names are spelled out in full
 * so a weight's checkpoint name can be read off the code. Every tensor's dtype and shape is checked against the
 * config before use; ternary weights are repacked once into the engine's row layout.
 */
import { FormatError } from '../errors.js';
import { readU16LE } from '../formats/float16.js';
import { unpackHfTernary } from '../formats/hf-packing.js';
import { readFolderJson, type ModelFolder } from '../formats/model-folder.js';
import { SafetensorsReader } from '../formats/safetensors-reader.js';
import { packTernaryRows } from '../formats/ternary-rows.js';
import { fromArray, type Tensor } from '../tensor.js';
import { configFromHf, type ModelConfig, type WeightScaleMode } from './config.js';
import type { FloatTable, LayerWeights, ModelWeights, TableAllocator, TernaryMatrix, WeightSource } from './weights.js';

export interface HfCheckpoint {
  readonly dir: string;
  readonly config: ModelConfig;
  readonly weights: ModelWeights;
  /** generation_config.json as written (null when absent); the engine reads its sampling defaults. */
  readonly generationConfig: Record<string, unknown> | null;
}

/** An open HF folder whose weights are read on demand; close it when done. */
export interface OpenHfFolder extends Omit<HfCheckpoint, 'weights'> {
  readonly weights: WeightSource;
  close(): void;
}

/** Tensor lookup across one model.safetensors or the shards named by model.safetensors.index.json. */
class TensorSource {
  private readonly files = new Map<string, SafetensorsReader>();
  private readonly byName = new Map<string, SafetensorsReader>();

  constructor(private readonly folder: ModelFolder) {
    const single = 'model.safetensors';
    const index = 'model.safetensors.index.json';
    try {
      if (folder.has(single)) {
        const f = this.open(single);
        for (const name of f.header.tensors.keys()) this.byName.set(name, f);
      } else if (folder.has(index)) {
        this.openShards(index);
      } else {
        throw new FormatError(folder.pathOf(single), 'not found (nor model.safetensors.index.json)');
      }
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /** Opens the file `name` of the folder (once) and keeps it until close(). */
  private open(name: string): SafetensorsReader {
    const source = this.folder.open(name);
    let f: SafetensorsReader;
    try {
      f = SafetensorsReader.fromSource(source);
    } catch (err) {
      source.close();
      throw err;
    }
    this.files.set(name, f);
    return f;
  }

  private openShards(indexName: string): void {
    const index = this.folder.pathOf(indexName);
    const raw = readFolderJson(this.folder, indexName) as { weight_map?: unknown };
    const map = raw !== null && typeof raw === 'object' && Object.hasOwn(raw, 'weight_map') ? raw.weight_map : undefined;
    if (typeof map !== 'object' || map === null) throw new FormatError(index, 'weight_map must be an object', { field: 'weight_map' });
    for (const [name, shard] of Object.entries(map)) {
      if (typeof shard !== 'string' || shard.includes('/') || shard.includes('\\')) {
        throw new FormatError(index, 'shard must be a file name in the same folder', { field: `weight_map.${name}` });
      }
      const f = this.files.get(shard) ?? this.open(shard);
      if (!f.has(name)) throw new FormatError(f.path, 'tensor named by the index is missing', { field: name });
      this.byName.set(name, f);
    }
  }

  file(name: string): SafetensorsReader {
    const f = this.byName.get(name);
    if (f === undefined) throw new FormatError(this.files.values().next().value?.path ?? this.folder.pathOf('model.safetensors'), 'missing tensor', { field: name });
    return f;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  close(): void {
    for (const f of this.files.values()) f.close();
  }
}

/** The file holding tensor `name`, after checking that the tensor has the config's shape. */
function shapedFile(src: TensorSource, name: string, shape: number[]): SafetensorsReader {
  const f = src.file(name);
  const info = f.info(name);
  if (info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i])) {
    throw new FormatError(f.path, `shape [${info.shape.join(', ')}] does not match the config's [${shape.join(', ')}]`, { field: name });
  }
  return f;
}

function floatTensor(src: TensorSource, name: string, shape: number[]): Tensor<'f32'> {
  return fromArray('f32', shape, shapedFile(src, name, shape).readFloat32(name));
}

/** An embedding / lm_head table: BF16 and F16 as their raw bits, read straight into `alloc`'s memory when given. */
function floatTable(src: TensorSource, name: string, [rows, cols]: [number, number], alloc?: TableAllocator): FloatTable {
  const f = shapedFile(src, name, [rows, cols]);
  const info = f.info(name);
  if (info.dtype === 'BF16' || info.dtype === 'F16') {
    const dtype = info.dtype === 'BF16' ? 'bf16' : 'f16';
    const dst = (alloc?.(dtype, rows, cols) ?? new Uint16Array(rows * cols)) as Uint16Array;
    return fromArray(dtype, [rows, cols], readU16LE(dst, (bytes) => f.readBytesInto(name, bytes)));
  }
  return fromArray('f32', [rows, cols], f.readFloat32(name));
}

function scalar(src: TensorSource, name: string): number {
  const f = src.file(name);
  const info = f.info(name);
  if (info.shape.reduce((a, b) => a * b, 1) !== 1) throw new FormatError(f.path, `expected one element, shape is [${info.shape.join(', ')}]`, { field: name });
  const v = f.readFloat32(name)[0];
  if (!Number.isFinite(v) || v === 0) throw new FormatError(f.path, `weight scale must be finite and non-zero, got ${v}`, { field: name });
  return v;
}

function ternary(src: TensorSource, prefix: string, rows: number, cols: number, mode: WeightScaleMode): TernaryMatrix {
  const name = `${prefix}.weight`;
  const f = src.file(name);
  const info = f.info(name);
  if (info.dtype !== 'U8') throw new FormatError(f.path, `expected U8 offline-packed ternary weights, found ${info.dtype}`, { field: `${name}.dtype` });
  if (rows % 4 !== 0 || info.shape.length !== 2 || info.shape[0] !== rows / 4 || info.shape[1] !== cols) {
    throw new FormatError(f.path, `shape [${info.shape.join(', ')}] does not match the config's packed [${rows / 4}, ${cols}]`, { field: name });
  }
  const { ternary: t, badCode } = unpackHfTernary(f.readBytes(name), rows, cols);
  if (badCode >= 0) throw new FormatError(f.path, `code 3 (not a ternary value) at element ${badCode}`, { field: name });
  const weightScale = scalar(src, `${prefix}.weight_scale`);
  return { rows, cols, packed: packTernaryRows(t, rows, cols), scale: mode === 'multiply' ? weightScale : 1 / weightScale, storage: 'hf-packed' };
}

function layer(src: TensorSource, c: ModelConfig, i: number, mode: WeightScaleMode): LayerWeights {
  const p = `model.layers.${i}`;
  const d = c.hiddenSize;
  const qDim = c.numHeads * c.headDim;
  const kvDim = c.numKvHeads * c.headDim;
  const f = c.intermediateSize;
  return {
    attnNorm: floatTensor(src, `${p}.input_layernorm.weight`, [d]),
    q: ternary(src, `${p}.self_attn.q_proj`, qDim, d, mode),
    k: ternary(src, `${p}.self_attn.k_proj`, kvDim, d, mode),
    v: ternary(src, `${p}.self_attn.v_proj`, kvDim, d, mode),
    attnSubNorm: floatTensor(src, `${p}.self_attn.attn_sub_norm.weight`, [qDim]),
    o: ternary(src, `${p}.self_attn.o_proj`, d, qDim, mode),
    ffnNorm: floatTensor(src, `${p}.post_attention_layernorm.weight`, [d]),
    gate: ternary(src, `${p}.mlp.gate_proj`, f, d, mode),
    up: ternary(src, `${p}.mlp.up_proj`, f, d, mode),
    ffnSubNorm: floatTensor(src, `${p}.mlp.ffn_sub_norm.weight`, [f]),
    down: ternary(src, `${p}.mlp.down_proj`, d, f, mode),
  };
}

/**
 * Opens a Hugging Face model folder: reads config.json and generation_config.json and opens the safetensors;
 * tensors are read when the returned source asks for them. Throws FormatError / ConfigError naming the file and
 * field (leaving no file open).
 */
export function openHfCheckpoint(folder: ModelFolder): OpenHfFolder {
  const configPath = folder.pathOf('config.json');
  const { model: config, weightScaleMode } = configFromHf(readFolderJson(folder, 'config.json'), configPath);
  const genName = 'generation_config.json';
  const gen = folder.has(genName) ? readFolderJson(folder, genName) : null;
  if (gen !== null && (typeof gen !== 'object' || Array.isArray(gen))) throw new FormatError(folder.pathOf(genName), 'must be a JSON object');

  const src = new TensorSource(folder);
  const c = config;
  const table: [number, number] = [c.vocabSize, c.hiddenSize];
  const weights: WeightSource = {
    numLayers: c.numLayers,
    tokenEmbedding: (alloc) => floatTable(src, 'model.embed_tokens.weight', table, alloc),
    layer: (i) => layer(src, c, i, weightScaleMode),
    outputNorm: () => floatTensor(src, 'model.norm.weight', [c.hiddenSize]),
    // Tied embeddings are resolved here and only here: lmHead null means "use tokenEmbedding".
    lmHead: (alloc) => (c.tieWordEmbeddings ? null : floatTable(src, 'lm_head.weight', table, alloc)),
  };
  return { dir: folder.location, config, weights, generationConfig: gen as Record<string, unknown> | null, close: () => src.close() };
}
