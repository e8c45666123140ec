/**
 * `bitnet convert`: a Hugging Face BitNet folder → a GGUF file with ternary projections in TQ2_0, TQ1_0 or I2_S,
 * the embedding in BF16 and norms in F32, so that the conversion is lossless (the ternary codes and the scale are
 * kept exactly; BF16 → F32 widening is exact). Metadata follows llama.cpp's `bitnet` architecture for TQ types
 * (loadable by llama.cpp) and bitnet.cpp's `bitnet-b1.58` for I2_S.
 *
 * A TQ block scale is f16: when a matrix's β is not exactly an f16 value, blocks carry d = 1 and β goes into the
 * optional one-element `<proj>.scale` tensor (F32) that multiplies the output (formats §4.2), so nothing is rounded
 * beyond float32. TQ types need rows of whole 256-blocks; a matrix whose input width is not (the shipped model's
 * down_proj, 704) is stored as F16 values {−β, 0, +β} — F32 if β is not an f16 value — as llama.cpp's converter
 * falls back per tensor; loaders read it back as the same ternary matrix.
 */
import { basename } from 'node:path';
import { encodeI2S } from '../formats/codecs/i2-s.js';
import { encodeTq1_0 } from '../formats/codecs/tq1-0.js';
import { encodeTq2_0 } from '../formats/codecs/tq2-0.js';
import { f16ToNumber, numberToF16 } from '../formats/float16.js';
import type { GgufValue } from '../formats/gguf/metadata.js';
import { gguf, writeGguf, type GgufTensorToWrite } from '../formats/gguf/writer.js';
import { unpackTernaryRows } from '../formats/ternary-rows.js';
import { InvalidOptionError } from '../errors.js';
import { loadHfFolder } from '../model/load-hf.js';
import type { LoadProgressCallback } from '../model/load-progress.js';
import type { TernaryMatrix } from '../model/weights.js';
import type { Tensor } from '../tensor.js';
import { ggufHyperParameters } from './gguf-hyperparameters.js';
import { tokenizerMetadata } from './hf-tokenizer-to-gguf.js';

export type GgufTernaryType = 'tq2_0' | 'tq1_0' | 'i2_s';
export const GGUF_TERNARY_TYPES: readonly GgufTernaryType[] = ['tq2_0', 'tq1_0', 'i2_s'];

const TYPE_ID = { F32: 0, F16: 1, BF16: 30, TQ1_0: 34, TQ2_0: 35, I2_S: 36 } as const;
/** llama.cpp's `general.file_type` (LLAMA_FTYPE_MOSTLY_TQ1_0 = 36, TQ2_0 = 37) and bitnet.cpp's I2_S = 40. */
const FILE_TYPE: Record<GgufTernaryType, number> = { tq1_0: 36, tq2_0: 37, i2_s: 40 };

export interface ConvertResult {
  readonly path: string;
  readonly architecture: string;
  readonly tensors: number;
  readonly bytes: number;
}

function f32Bytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** float32 values that came from BF16 → BF16 bytes (the upper halves: exact). */
function bf16Bytes(values: Float32Array): Uint8Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint8Array(values.length * 2);
  for (let i = 0; i < values.length; i++) {
    if ((bits[i] & 0xffff) !== 0) throw new InvalidOptionError('embedding', 'holds values that are not BF16; cannot store them losslessly as BF16');
    out[2 * i] = (bits[i] >>> 16) & 0xff;
    out[2 * i + 1] = bits[i] >>> 24;
  }
  return out;
}

/** The tensors of one projection: its weight (GGUF dims [in, out]) and, if needed, its `.scale`. */
function projection(prefix: string, m: TernaryMatrix, type: GgufTernaryType): GgufTensorToWrite[] {
  const t = unpackTernaryRows(m.packed, m.rows, m.cols);
  const dims = [m.cols, m.rows];
  if (type === 'i2_s') return [{ name: `${prefix}.weight`, dims, typeId: TYPE_ID.I2_S, data: encodeI2S(t, m.rows, m.cols, m.scale) }];
  const f16Exact = f16ToNumber(numberToF16(m.scale)) === m.scale;
  if (m.cols % 256 !== 0) return [{ name: `${prefix}.weight`, dims, ...ternaryAsFloat(t, m.scale, f16Exact) }];
  const encode = type === 'tq2_0' ? encodeTq2_0 : encodeTq1_0;
  const out: GgufTensorToWrite[] = [{ name: `${prefix}.weight`, dims, typeId: type === 'tq2_0' ? TYPE_ID.TQ2_0 : TYPE_ID.TQ1_0, data: encode(t, m.rows, m.cols, f16Exact ? m.scale : 1) }];
  if (!f16Exact) out.push({ name: `${prefix}.scale`, dims: [1], typeId: TYPE_ID.F32, data: f32Bytes(Float32Array.of(m.scale)) });
  return out;
}

/** Ternary × β as plain F16 (or F32) values: exact, and what llama.cpp's converter falls back to. */
function ternaryAsFloat(t: Int8Array, beta: number, f16Exact: boolean): { typeId: number; data: Uint8Array } {
  if (!f16Exact) return { typeId: TYPE_ID.F32, data: f32Bytes(Float32Array.from(t, (v) => v * beta)) };
  const plus = numberToF16(beta);
  const minus = numberToF16(-beta);
  const half = Uint16Array.from(t, (v) => (v > 0 ? plus : v < 0 ? minus : 0));
  return { typeId: TYPE_ID.F16, data: new Uint8Array(half.buffer) };
}

function norm(name: string, t: Tensor<'f32'>): GgufTensorToWrite {
  return { name, dims: [t.data.length], typeId: TYPE_ID.F32, data: f32Bytes(t.data) };
}

export interface ConvertOptions {
  /** Hears phase 'weights read' (pieces, load-progress.ts), then 'layers encoded'. */
  readonly onProgress?: LoadProgressCallback;
}

/** Converts the HF folder `dir` to `out`. */
export function convertHfToGguf(dir: string, out: string, type: GgufTernaryType, options: ConvertOptions = {}): ConvertResult {
  if (!GGUF_TERNARY_TYPES.includes(type)) throw new InvalidOptionError('to', `must be one of ${GGUF_TERNARY_TYPES.join(', ')}, got '${type}'`);
  const { onProgress } = options;
  const { config: c, weights: w } = loadHfFolder(dir, onProgress);
  const arch = type === 'i2_s' ? 'bitnet-b1.58' : 'bitnet';
  const meta = new Map<string, GgufValue>([
    ['general.architecture', gguf.string(arch)],
    ['general.name', gguf.string(basename(dir))],
    ['general.file_type', gguf.u32(FILE_TYPE[type])],
    ['general.quantization_version', gguf.u32(2)],
    ...ggufHyperParameters(arch, c),
    ...tokenizerMetadata(dir, c.bosTokenId, c.eosTokenIds[0] ?? null),
  ]);
  const tensors: GgufTensorToWrite[] = [
    { name: 'token_embd.weight', dims: [c.hiddenSize, c.vocabSize], typeId: TYPE_ID.BF16, data: bf16Bytes(w.tokenEmbedding.data) },
    norm('output_norm.weight', w.outputNorm),
  ];
  if (w.lmHead !== null) tensors.push({ name: 'output.weight', dims: [c.hiddenSize, c.vocabSize], typeId: TYPE_ID.BF16, data: bf16Bytes(w.lmHead.data) });
  w.layers.forEach((l, i) => {
    onProgress?.({ phase: 'layers encoded', done: i, total: w.layers.length });
    const p = `blk.${i}`;
    tensors.push(
      norm(`${p}.attn_norm.weight`, l.attnNorm),
      ...projection(`${p}.attn_q`, l.q, type),
      ...projection(`${p}.attn_k`, l.k, type),
      ...projection(`${p}.attn_v`, l.v, type),
      norm(`${p}.attn_sub_norm.weight`, l.attnSubNorm),
      ...projection(`${p}.attn_output`, l.o, type),
      norm(`${p}.ffn_norm.weight`, l.ffnNorm),
      ...projection(`${p}.ffn_gate`, l.gate, type),
      ...projection(`${p}.ffn_up`, l.up, type),
      norm(`${p}.ffn_sub_norm.weight`, l.ffnSubNorm),
      ...projection(`${p}.ffn_down`, l.down, type),
    );
  });
  onProgress?.({ phase: 'layers encoded', done: w.layers.length, total: w.layers.length });
  writeGguf(out, meta, tensors);
  return { path: out, architecture: arch, tensors: tensors.length, bytes: tensors.reduce((n, t) => n + t.data.length, 0) };
}
