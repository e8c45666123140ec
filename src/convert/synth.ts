/**
 * `bitnet synth`: a random BitNet b1.58 GGUF of a named shape, like bitnet.cpp's dummy-model generator, for
 * benchmarks and tests. The model is llama.cpp's `bitnet` architecture (SiLU FFN, tied lm_head, no output.weight),
 * drawn as the golden set's generator draws it (shared/golden/llamacpp/README.md §2):
 *
 * - each projection is ternary × one scale: P(−1) = P(0) = P(+1) = 1/3, s = f16(U(0.8, 1.2) / √(⅔·n_in)), so the
 *   scale is an f16 value and every TQ block holds d = s exactly (no `.scale` tensor);
 * - norm weights are 1 + 0.1·N(0, 1), stored F32; the embedding is N(0, (2/√hidden)²) rounded to f16, stored F16;
 * - every tensor is drawn from its own stream, seeded by (seed, tensor name), so the four storage types hold the
 *   same model: TQ2_0, TQ1_0, I2_S and F16 files of one seed decode to identical weights.
 *
 * The tokenizer is byte-level BPE (`gpt2`, pre `llama-bpe`) with no training behind it; see {@link synthVocabulary}.
 * Tensors are generated and written in chunks of about 4 M elements, so memory stays small for any shape.
 */
import { Rng } from '../random.js';
import { ggufHyperParameters } from './gguf-hyperparameters.js';
import { renameSync, rmSync, statSync } from 'node:fs';
import { encodeI2S } from '../formats/codecs/i2-s.js';
import { encodeTq1_0 } from '../formats/codecs/tq1-0.js';
import { encodeTq2_0 } from '../formats/codecs/tq2-0.js';
import { f16ToNumber, numberToF16 } from '../formats/float16.js';
import type { GgufValue } from '../formats/gguf/metadata.js';
import { tensorByteSize, typeInfo } from '../formats/gguf/types.js';
import { gguf, writeGgufStream, type GgufTensorSource } from '../formats/gguf/writer.js';
import { InvalidOptionError } from '../errors.js';

// ---------------------------------------------------------------------------------------------------------------
// Shapes and storage types
// ---------------------------------------------------------------------------------------------------------------

/** The hyper-parameters of a synthetic model. Every projection's input width must be a multiple of 256 (TQ rows). */
export interface SynthShape {
  readonly name: string;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly intermediateSize: number;
  readonly vocabSize: number;
  readonly contextLength: number;
  readonly ropeTheta: number;
}

/** The named shapes of {@link SYNTH_SHAPES}. */
export type SynthShapeName = 'tiny' | '700m' | '2b4t';

/**
 * `700m`: 1bitLLM/bitnet_b1_58-large. `2b4t`: microsoft/bitnet-b1.58-2B-4T (its sizes; this model is SiLU, not
 * relu²). `tiny`: the golden set's shape (hidden 256, 2 layers) with a 512-token vocabulary, for tests.
 */
export const SYNTH_SHAPES: Readonly<Record<SynthShapeName, SynthShape>> = {
  tiny: { name: 'tiny', hiddenSize: 256, numLayers: 2, numHeads: 4, numKvHeads: 2, intermediateSize: 768, vocabSize: 512, contextLength: 512, ropeTheta: 10000 },
  '700m': { name: '700m', hiddenSize: 1536, numLayers: 24, numHeads: 16, numKvHeads: 16, intermediateSize: 4096, vocabSize: 32002, contextLength: 2048, ropeTheta: 10000 },
  '2b4t': { name: '2b4t', hiddenSize: 2560, numLayers: 30, numHeads: 20, numKvHeads: 5, intermediateSize: 6912, vocabSize: 128256, contextLength: 4096, ropeTheta: 500000 },
};
/** The shape names, for option lists. */
export const SYNTH_SHAPE_NAMES = Object.keys(SYNTH_SHAPES) as SynthShapeName[];

/** How the projections are stored; the embedding is always F16 and the norms F32. */
export type SynthType = 'tq2_0' | 'tq1_0' | 'i2_s' | 'f16';
/** The storage types, for option lists. */
export const SYNTH_TYPES: readonly SynthType[] = ['tq2_0', 'tq1_0', 'i2_s', 'f16'];

const TYPE_ID = { F32: 0, F16: 1, TQ1_0: 34, TQ2_0: 35, I2_S: 36 } as const;
const PROJ_TYPE_ID: Record<SynthType, number> = { tq2_0: TYPE_ID.TQ2_0, tq1_0: TYPE_ID.TQ1_0, i2_s: TYPE_ID.I2_S, f16: TYPE_ID.F16 };
/** `general.file_type`: llama.cpp's LLAMA_FTYPE_MOSTLY_F16 = 1, TQ1_0 = 36, TQ2_0 = 37; bitnet.cpp's I2_S = 40. */
const FILE_TYPE: Record<SynthType, number> = { f16: 1, tq1_0: 36, tq2_0: 37, i2_s: 40 };

/** Elements generated per chunk (rows are never split). */
const CHUNK_ELEMS = 1 << 22;

/** A tensor's random stream (the shared xoshiro128** of src/random.ts, one stream per (seed, tensor name)), plus normals. */
class TensorRng {
  private readonly rng: Rng;
  private spare = 0;
  private hasSpare = false;

  constructor(seed: number, name: string) {
    this.rng = Rng.forStream(seed, name);
  }

  u32(): number {
    return this.rng.nextUint32();
  }

  /** Uniform in [0, 1), 53 bits. */
  uniform(): number {
    return this.rng.nextFloat();
  }

  /** N(0, 1) by Marsaglia's polar method (no trigonometry), both values of a pair used in turn. */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u: number;
    let v: number;
    let q: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      q = u * u + v * v;
    } while (q >= 1 || q === 0);
    const f = Math.sqrt((-2 * Math.log(q)) / q);
    this.spare = v * f;
    this.hasSpare = true;
    return u * f;
  }
}

/** TRITS[10·v + i] = base-3 digit i of v − 1, for v < 3^10: ten independent uniform trits from one 16-bit draw. */
const TRITS_PER_DRAW = 10;
const DRAW_LIMIT = 3 ** TRITS_PER_DRAW; // 59049 of 65536: 16-bit draws at or above it are rejected
const TRITS = new Int8Array(DRAW_LIMIT * TRITS_PER_DRAW);
for (let v = 0; v < DRAW_LIMIT; v++) for (let i = 0, r = v; i < TRITS_PER_DRAW; i++, r = Math.floor(r / 3)) TRITS[TRITS_PER_DRAW * v + i] = (r % 3) - 1;

/** Uniform ternary values, the same sequence however the output is cut into chunks. */
class TritStream {
  private readonly pending = new Int8Array(2 * TRITS_PER_DRAW);
  private head = 0;
  private tail = 0;

  constructor(private readonly rng: TensorRng) {}

  fill(out: Int8Array): void {
    let i = 0;
    for (;;) {
      while (i < out.length && this.head < this.tail) out[i++] = this.pending[this.head++];
      if (i === out.length) return;
      // Fast path: whole draws straight into out while 20 slots remain; the pending buffer is empty here.
      while (i + 2 * TRITS_PER_DRAW <= out.length) i = this.draw(out, i);
      if (i === out.length) return;
      this.head = 0;
      this.tail = this.draw(this.pending, 0);
    }
  }

  /** One 32-bit draw: two 16-bit halves, each giving 10 trits unless rejected. Returns the new write position. */
  private draw(out: Int8Array, i: number): number {
    const u = this.rng.u32();
    return this.put(out, this.put(out, i, u >>> 16), u & 0xffff);
  }

  private put(out: Int8Array, i: number, v: number): number {
    if (v >= DRAW_LIMIT) return i;
    for (let k = 0, src = TRITS_PER_DRAW * v; k < TRITS_PER_DRAW; k++) out[i + k] = TRITS[src + k];
    return i + TRITS_PER_DRAW;
  }
}

const f64 = new Float64Array(1);
const f64Words = new Uint32Array(f64.buffer);

/** number → IEEE binary16 bits, nearest even: the same bits as numberToF16 (formats/float16.ts), without its log2 for normal values. */
export function f16Bits(x: number): number {
  f64[0] = x;
  const hi = f64Words[1];
  const lo = f64Words[0];
  const e = ((hi >>> 20) & 0x7ff) - 1023;
  if (e < -14 || e > 15) return numberToF16(x); // subnormal, zero, overflow: the slow exact path
  const rest = hi & 0x3ff; // the 42 bits below the kept 10: these 10, then all of lo
  const up = rest > 0x200 || (rest === 0x200 && (lo !== 0 || ((hi >>> 10) & 1) === 1));
  return ((hi >>> 16) & 0x8000) | ((((e + 15) << 10) | ((hi >>> 10) & 0x3ff)) + (up ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------------------------
// Tensors
// ---------------------------------------------------------------------------------------------------------------

function source(name: string, dims: number[], typeId: number, chunks: () => Iterable<Uint8Array>): GgufTensorSource {
  const info = typeInfo(typeId, typeId === TYPE_ID.I2_S ? 'bitnet.cpp' : 'upstream');
  if (info === null) throw new Error(`unreachable: type ${typeId}`);
  return { name, dims, typeId, byteSize: tensorByteSize(info, dims), chunks };
}

/** Row counts of consecutive chunks of about CHUNK_ELEMS elements. */
function* rowChunks(rows: number, cols: number): Generator<number> {
  const per = Math.max(1, Math.floor(CHUNK_ELEMS / cols));
  for (let r = 0; r < rows; r += per) yield Math.min(per, rows - r);
}

/** A projection [rows = out, cols = in] (GGUF dims [in, out]): s first, then the ternary values row by row. */
function projection(name: string, rows: number, cols: number, type: SynthType, seed: number): GgufTensorSource {
  return source(name, [cols, rows], PROJ_TYPE_ID[type], function* () {
    const rng = new TensorRng(seed, name);
    const scale = f16ToNumber(numberToF16((0.8 + 0.4 * rng.uniform()) / Math.sqrt((2 / 3) * cols)));
    const trits = new TritStream(rng);
    for (const n of rowChunks(rows, cols)) {
      const t = new Int8Array(n * cols);
      trits.fill(t);
      if (type === 'tq2_0') yield encodeTq2_0(t, n, cols, scale);
      else if (type === 'tq1_0') yield encodeTq1_0(t, n, cols, scale);
      else if (type === 'i2_s') yield encodeI2S(t, n, cols, scale).subarray(0, t.length / 4); // packed bytes only
      else {
        const bits = Uint16Array.of(numberToF16(-scale), 0, numberToF16(scale)); // by t + 1
        const half = new Uint16Array(t.length);
        for (let i = 0; i < t.length; i++) half[i] = bits[t[i] + 1];
        yield new Uint8Array(half.buffer);
      }
    }
    if (type === 'i2_s') yield encodeI2S(new Int8Array(128), 1, 128, scale).subarray(32); // the tail: f32 s, 28 zeros
  });
}

/** A norm weight: 1 + 0.1·N(0, 1), F32. */
function norm(name: string, n: number, seed: number): GgufTensorSource {
  return source(name, [n], TYPE_ID.F32, function* () {
    const rng = new TensorRng(seed, name);
    yield new Uint8Array(Float32Array.from({ length: n }, () => 1 + 0.1 * rng.normal()).buffer);
  });
}

/** The embedding (also the lm_head): N(0, (2/√hidden)²) rounded to f16, F16. */
function embedding(name: string, vocab: number, hidden: number, seed: number): GgufTensorSource {
  return source(name, [hidden, vocab], TYPE_ID.F16, function* () {
    const rng = new TensorRng(seed, name);
    const std = 2 / Math.sqrt(hidden);
    for (const n of rowChunks(vocab, hidden)) {
      const half = new Uint16Array(n * hidden);
      for (let i = 0; i < half.length; i++) half[i] = f16Bits(std * rng.normal());
      yield new Uint8Array(half.buffer);
    }
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Tokenizer
// ---------------------------------------------------------------------------------------------------------------

/** GPT-2's byte → printable character map (formats §6.2): id b of the vocabulary is byte b in this spelling. */
function byteToUnicode(): string[] {
  const printable = (b: number): boolean => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  let next = 256;
  return Array.from({ length: 256 }, (_, b) => String.fromCodePoint(printable(b) ? b : next++));
}

/** A byte-level BPE vocabulary as GGUF's `tokenizer.ggml.*` keys hold it. */
export interface SynthVocabulary {
  readonly tokens: string[];
  /** 1 normal, 3 control (BOS, EOS). */
  readonly types: number[];
  /** "left right", rank = index. */
  readonly merges: string[];
  readonly bos: number;
  readonly eos: number;
}

/**
 * A byte-level BPE vocabulary of `size` tokens with no training behind it: ids 0–255 are the bytes (GPT-2
 * spelling), then filler words, then BOS `<|begin_of_text|>` and EOS `<|end_of_text|>` (control) as the last two
 * ids. The fillers are the strings `Ġ?[a-z]+` of two or more characters (Ġ is the space byte) in breadth-first
 * order — "Ġa"…"Ġz", "aa"…"zz", then "Ġaa"… — each made by the merge "prefix lastletter", so every merge's parts
 * and result are in the vocabulary (the `tokenizers` package requires that) and English-like text tokenizes into
 * multi-byte tokens the way llama.cpp's BPE and Hugging Face's agree on.
 */
export function synthVocabulary(size: number): SynthVocabulary {
  const specials = ['<|begin_of_text|>', '<|end_of_text|>'];
  if (!Number.isSafeInteger(size) || size < 256 + specials.length) throw new RangeError(`synthVocabulary: size ${size} is below ${256 + specials.length}`);
  const tokens = byteToUnicode();
  const letters = Array.from('abcdefghijklmnopqrstuvwxyz');
  const merges: string[] = [];
  const queue = ['\u0120', ...letters];
  for (let q = 0; tokens.length < size - specials.length; q++) {
    for (const c of letters) {
      if (tokens.length === size - specials.length) break;
      tokens.push(queue[q] + c);
      queue.push(queue[q] + c);
      merges.push(`${queue[q]} ${c}`);
    }
  }
  tokens.push(...specials);
  const types = tokens.map((_, i) => (i >= size - specials.length ? 3 : 1));
  return { tokens, types, merges, bos: size - 2, eos: size - 1 };
}

// ---------------------------------------------------------------------------------------------------------------
// The file
// ---------------------------------------------------------------------------------------------------------------

/** Everything needed to write (or to check the header of) a synthetic model, with no tensor data made yet. */
export interface SynthPlan {
  readonly metadata: Map<string, GgufValue>;
  readonly tensors: GgufTensorSource[];
}

/** Checks the options and lays out the metadata and tensors (data is generated only when iterated). */
export function synthPlan(shapeName: string, type: string, seed: number): SynthPlan {
  if (!Object.hasOwn(SYNTH_SHAPES, shapeName)) throw new InvalidOptionError('shape', `must be one of ${SYNTH_SHAPE_NAMES.join(', ')}, got '${shapeName}'`);
  if (!(SYNTH_TYPES as readonly string[]).includes(type)) throw new InvalidOptionError('type', `must be one of ${SYNTH_TYPES.join(', ')}, got '${type}'`);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new InvalidOptionError('seed', `must be a non-negative integer, got ${seed}`);
  const s = SYNTH_SHAPES[shapeName as SynthShapeName];
  const t = type as SynthType;
  const headDim = s.hiddenSize / s.numHeads;
  const kvDim = s.numKvHeads * headDim;
  const vocab = synthVocabulary(s.vocabSize);
  const metadata = new Map<string, GgufValue>([
    ['general.architecture', gguf.string('bitnet')],
    ['general.name', gguf.string(`synthetic-bitnet-${s.name}-${t}-s${seed}`)],
    ['general.file_type', gguf.u32(FILE_TYPE[t])],
    ['general.quantization_version', gguf.u32(2)],
    ...ggufHyperParameters('bitnet', { ...s, headDim, rmsNormEps: 1e-5, activation: 'silu' }),
    ['tokenizer.ggml.model', gguf.string('gpt2')],
    ['tokenizer.ggml.pre', gguf.string('llama-bpe')],
    ['tokenizer.ggml.tokens', gguf.strings(vocab.tokens)],
    ['tokenizer.ggml.token_type', gguf.i32s(vocab.types)],
    ['tokenizer.ggml.merges', gguf.strings(vocab.merges)],
    ['tokenizer.ggml.bos_token_id', gguf.u32(vocab.bos)],
    ['tokenizer.ggml.eos_token_id', gguf.u32(vocab.eos)],
    ['tokenizer.ggml.add_bos_token', gguf.bool(true)],
    ['tokenizer.ggml.add_eos_token', gguf.bool(false)],
    ['synthetic.generator', gguf.string('bitnet-ts synth')],
    ['synthetic.shape', gguf.string(s.name)],
    ['synthetic.seed', gguf.u32(seed % 2 ** 32)],
  ]);
  if (seed >= 2 ** 32) metadata.set('synthetic.seed_high', gguf.u32(Math.floor(seed / 2 ** 32)));
  const d = s.hiddenSize;
  const ff = s.intermediateSize;
  const tensors = [embedding('token_embd.weight', s.vocabSize, d, seed), norm('output_norm.weight', d, seed)];
  for (let i = 0; i < s.numLayers; i++) {
    const p = `blk.${i}`;
    tensors.push(
      norm(`${p}.attn_norm.weight`, d, seed),
      projection(`${p}.attn_q.weight`, d, d, t, seed),
      projection(`${p}.attn_k.weight`, kvDim, d, t, seed),
      projection(`${p}.attn_v.weight`, kvDim, d, t, seed),
      norm(`${p}.attn_sub_norm.weight`, d, seed),
      projection(`${p}.attn_output.weight`, d, d, t, seed),
      norm(`${p}.ffn_norm.weight`, d, seed),
      projection(`${p}.ffn_gate.weight`, ff, d, t, seed),
      projection(`${p}.ffn_up.weight`, ff, d, t, seed),
      norm(`${p}.ffn_sub_norm.weight`, ff, seed),
      projection(`${p}.ffn_down.weight`, d, ff, t, seed),
    );
  }
  return { metadata, tensors };
}

/** What {@link synthesizeGguf} writes, and where. */
export interface SynthOptions {
  readonly shape: string;
  readonly type: string;
  readonly seed: number;
  readonly out: string;
  /** Called before each tensor is generated (index counts from 0). */
  readonly onTensor?: (name: string, index: number, count: number) => void;
}

/** What {@link synthesizeGguf} wrote. */
export interface SynthResult {
  readonly path: string;
  readonly shape: SynthShape;
  readonly type: SynthType;
  readonly seed: number;
  readonly tensors: number;
  /** Size of the file. */
  readonly bytes: number;
}

/**
 * Writes the model to `out` (through `out.partial`, renamed at the end, so an interrupted run never leaves a
 * file that looks complete).
 */
export function synthesizeGguf(opts: SynthOptions): SynthResult {
  const plan = synthPlan(opts.shape, opts.type, opts.seed);
  const count = plan.tensors.length;
  const tensors = plan.tensors.map((t, i): GgufTensorSource => ({ ...t, chunks: () => (opts.onTensor?.(t.name, i, count), t.chunks()) }));
  const partial = `${opts.out}.partial`;
  try {
    writeGgufStream(partial, plan.metadata, tensors);
    renameSync(partial, opts.out);
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  }
  const shape = SYNTH_SHAPES[opts.shape as SynthShapeName];
  return { path: opts.out, shape, type: opts.type as SynthType, seed: opts.seed, tensors: count, bytes: statSync(opts.out).size };
}
