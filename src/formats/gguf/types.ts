/**
 * The ggml tensor type table (formats §1.3, §2.2, §2.6): type id → name, block shape and byte size, for the two
 * dialects a GGUF file can be written in. The ids agree below 31 and split above it:
 *
 * - `upstream` (ggml-org/llama.cpp): ggml/include/ggml.h `enum ggml_type`, gguf-py `GGML_QUANT_SIZES`, and the
 *   block structs in ggml/src/ggml-common.h (sizes below are those structs' `sizeof`). Ids 4–5, 31–33 and 36–38
 *   are retired; 39 is MXFP4, 40 NVFP4, 41 Q1_0, 42 Q2_0 (the last three are 2026 additions).
 * - `bitnet.cpp` (microsoft/BitNet's llama.cpp fork, Eddie-Wang1120/llama.cpp branch merge-dev): its ggml.h keeps
 *   31–33 as live Q4_0_4_4 / Q4_0_4_8 / Q4_0_8_8 (32 elements, 18 bytes, like Q4_0) and gives 36 I2_S, 37 I8_S,
 *   38 TL1, 39 TL2; it has no MXFP4 and nothing above 39.
 *
 * Which dialect a file uses is not recorded in it; the loader picks it from the producer (formats §1.3).
 */
import { I2S_TAIL_BYTES } from '../codecs/i2-s.js';

/** Which producer's id assignments to use: upstream ggml/llama.cpp, or bitnet.cpp's fork. */
export type GgufDialect = 'upstream' | 'bitnet.cpp';

/**
 * How a tensor of this type is laid out, which decides how {@link tensorByteSize} sizes it.
 * - `blocks`: each row of ne0 elements is ne0 / blockElems blocks of blockBytes bytes (formats §2.2).
 * - `i2s`: bitnet.cpp I2_S, one blob for the whole tensor: n/4 packed bytes (128-element, 32-byte blocks over the
 *   flat element order) then a {@link I2S_TAIL_BYTES}-byte tail holding the f32 scale (formats §2.6).
 * - `shape-specific`: TL1 / TL2, whose layout depends on per-shape kernel tiling (formats §2.7); not sized here.
 */
export type GgmlLayout = 'blocks' | 'i2s' | 'shape-specific';

/** One row of the type table. Frozen; the same object is returned for every lookup. */
export interface GgmlTypeInfo {
  readonly id: number;
  /** ggml's name in upper case, as gguf-py spells it (`Q8_0`, `TQ2_0`, `I2_S`). */
  readonly name: string;
  /** Elements per block (1 for plain types). For I2_S: the 128 elements of one packed block. */
  readonly blockElems: number;
  /** Bytes per block. For I2_S: the 32 bytes of one packed block (the tail is extra). */
  readonly blockBytes: number;
  /** True when src/formats has a decoder for it (F32, F16, BF16, Q8_0, Q6_K, TQ1_0, TQ2_0, I2_S). */
  readonly decodable: boolean;
  readonly layout: GgmlLayout;
}

/** I2_S tail after the n/4 packed bytes: f32 scale then 28 zero bytes (bitnet.cpp ggml.c `ggml_nbytes`). */
export { I2S_TAIL_BYTES };

const QK_K = 256;

type Row = readonly [id: number, name: string, blockElems: number, blockBytes: number, decodable?: boolean];

// Sizes are the block structs of ggml-common.h, written as their fields so each can be checked against the struct.
const COMMON: readonly Row[] = [
  [0, 'F32', 1, 4, true],
  [1, 'F16', 1, 2, true],
  [2, 'Q4_0', 32, 2 + 16], // d, qs[16]
  [3, 'Q4_1', 32, 2 + 2 + 16], // d, m, qs[16]
  [6, 'Q5_0', 32, 2 + 4 + 16], // d, qh[4], qs[16]
  [7, 'Q5_1', 32, 2 + 2 + 4 + 16], // d, m, qh[4], qs[16]
  [8, 'Q8_0', 32, 2 + 32, true], // d, qs[32] (formats §2.3)
  [9, 'Q8_1', 32, 2 + 2 + 32], // d, s, qs[32] (gguf-py says 4 + 4 + 32; sizeof(block_q8_1) is 36)
  [10, 'Q2_K', QK_K, QK_K / 16 + QK_K / 4 + 2 + 2], // scales, qs, d, dmin
  [11, 'Q3_K', QK_K, QK_K / 8 + QK_K / 4 + 12 + 2], // hmask, qs, scales[12], d
  [12, 'Q4_K', QK_K, 2 + 2 + 12 + QK_K / 2], // d, dmin, scales[12], qs
  [13, 'Q5_K', QK_K, 2 + 2 + 12 + QK_K / 8 + QK_K / 2], // d, dmin, scales[12], qh, qs
  [14, 'Q6_K', QK_K, QK_K / 2 + QK_K / 4 + QK_K / 16 + 2, true], // ql, qh, scales, d
  [15, 'Q8_K', QK_K, 4 + QK_K + (QK_K / 16) * 2], // f32 d, qs, i16 bsums
  [16, 'IQ2_XXS', QK_K, 2 + (QK_K / 8) * 2], // d, u16 qs
  [17, 'IQ2_XS', QK_K, 2 + (QK_K / 8) * 2 + QK_K / 32], // d, u16 qs, scales
  [18, 'IQ3_XXS', QK_K, 2 + (3 * QK_K) / 8], // d, qs
  [19, 'IQ1_S', QK_K, 2 + QK_K / 8 + (QK_K / 32) * 2], // d, qs, u16 qh
  [20, 'IQ4_NL', 32, 2 + 16], // d, qs
  [21, 'IQ3_S', QK_K, 2 + QK_K / 4 + QK_K / 32 + QK_K / 8 + QK_K / 64], // d, qs, qh, signs, scales
  [22, 'IQ2_S', QK_K, 2 + QK_K / 4 + QK_K / 32 + QK_K / 32], // d, qs, qh, scales
  [23, 'IQ4_XS', QK_K, 2 + 2 + QK_K / 64 + QK_K / 2], // d, scales_h, scales_l, qs
  [24, 'I8', 1, 1],
  [25, 'I16', 1, 2],
  [26, 'I32', 1, 4],
  [27, 'I64', 1, 8],
  [28, 'F64', 1, 8],
  [29, 'IQ1_M', QK_K, QK_K / 8 + QK_K / 16 + QK_K / 32], // qs, qh, scales
  [30, 'BF16', 1, 2, true],
  [34, 'TQ1_0', QK_K, 48 + 4 + 2, true], // qs[48], qh[4], d (formats §2.5)
  [35, 'TQ2_0', QK_K, QK_K / 4 + 2, true], // qs[64], d (formats §2.4)
];

const UPSTREAM_ONLY: readonly Row[] = [
  [39, 'MXFP4', 32, 1 + 16], // e (E8M0), qs
  [40, 'NVFP4', 64, 4 + 32], // d[4] (UE4M3), qs
  [41, 'Q1_0', 128, 2 + 16], // d, qs (1 bit each)
  [42, 'Q2_0', 64, 2 + 16], // d, qs (2 bits each); prism-ml's fork uses id 42 with 128 elements / 34 bytes
];

const BITNET_ONLY: readonly Row[] = [
  [31, 'Q4_0_4_4', 32, 2 + 16], // block_q4_0, interleaved 4 rows × 4 bytes
  [32, 'Q4_0_4_8', 32, 2 + 16],
  [33, 'Q4_0_8_8', 32, 2 + 16],
  [37, 'I8_S', 1, 1], // activation type of the fork's I2_S kernels; traits blck 1, size 1
];

/** Retired ids: the name ggml's comments give them, and why they cannot be read. */
const RETIRED_COMMON: ReadonlyMap<number, string> = new Map([
  [4, 'Q4_2'],
  [5, 'Q4_3'],
]);
const RETIRED_UPSTREAM: ReadonlyMap<number, string> = new Map([
  [31, 'Q4_0_4_4'],
  [32, 'Q4_0_4_8'],
  [33, 'Q4_0_8_8'],
  [36, 'IQ4_NL_4_4'],
  [37, 'IQ4_NL_4_8'],
  [38, 'IQ4_NL_8_8'],
]);

function buildTable(rows: readonly Row[], extra: readonly GgmlTypeInfo[]): ReadonlyMap<number, GgmlTypeInfo> {
  const table = new Map<number, GgmlTypeInfo>();
  for (const [id, name, blockElems, blockBytes, decodable = false] of rows) {
    table.set(id, Object.freeze({ id, name, blockElems, blockBytes, decodable, layout: 'blocks' as const }));
  }
  for (const info of extra) table.set(info.id, Object.freeze(info));
  return table;
}

const TABLES: Readonly<Record<GgufDialect, ReadonlyMap<number, GgmlTypeInfo>>> = {
  upstream: buildTable([...COMMON, ...UPSTREAM_ONLY], []),
  'bitnet.cpp': buildTable(
    [...COMMON, ...BITNET_ONLY],
    [
      { id: 36, name: 'I2_S', blockElems: 128, blockBytes: 32, decodable: true, layout: 'i2s' },
      { id: 38, name: 'TL1', blockElems: 1, blockBytes: 1, decodable: false, layout: 'shape-specific' },
      { id: 39, name: 'TL2', blockElems: 1, blockBytes: 1, decodable: false, layout: 'shape-specific' },
    ],
  ),
};

/** The type with this id in this dialect, or null when the id is unknown or retired (see {@link retiredType}). */
export function typeInfo(id: number, dialect: GgufDialect): GgmlTypeInfo | null {
  return TABLES[dialect].get(id) ?? null;
}

/** For a retired id, its former name (so an error can say what the file holds); null for active or unknown ids. */
export function retiredType(id: number, dialect: GgufDialect): { readonly id: number; readonly name: string } | null {
  const name = RETIRED_COMMON.get(id) ?? (dialect === 'upstream' ? RETIRED_UPSTREAM.get(id) : undefined);
  return name === undefined ? null : { id, name };
}

/**
 * Bytes of tensor data for `dims` (ne0 first, as stored in GGUF; each a non-negative integer, number or bigint).
 * Computed in BigInt; throws RangeError (for the caller to wrap with the file and tensor name) when:
 * - a dim is not a non-negative integer, or dims is empty;
 * - `blocks` layout and ne0 is not a multiple of blockElems (ggml would refuse the file too);
 * - `i2s` layout and the element count n is not a multiple of 128: bitnet.cpp sizes I2_S as n/4 + 32 bytes
 *   (ggml.c `ggml_nbytes`; the converters write n/4 packed bytes then the tail), but a trailing partial
 *   128-block cannot be represented (the converter truncates it), so such a tensor is refused;
 * - `shape-specific` layout (TL1/TL2): their size depends on kernel tiling, formats §2.7;
 * - the size exceeds Number.MAX_SAFE_INTEGER.
 */
export function tensorByteSize(info: GgmlTypeInfo, dims: readonly (number | bigint)[]): number {
  if (dims.length === 0) throw new RangeError(`${info.name}: a tensor needs at least one dimension`);
  const ne = dims.map((d, i) => toDim(d, i, info.name));
  let size: bigint;
  switch (info.layout) {
    case 'blocks': {
      const blockElems = BigInt(info.blockElems);
      if (ne[0] % blockElems !== 0n) {
        throw new RangeError(`${info.name}: ne0 = ${ne[0]} is not a multiple of the block size ${info.blockElems}`);
      }
      size = (ne[0] / blockElems) * BigInt(info.blockBytes);
      for (let i = 1; i < ne.length; i++) size *= ne[i];
      break;
    }
    case 'i2s': {
      const n = ne.reduce((a, b) => a * b, 1n);
      if (n % 128n !== 0n) throw new RangeError(`${info.name}: element count ${n} is not a multiple of 128`);
      size = n / 4n + BigInt(I2S_TAIL_BYTES);
      break;
    }
    case 'shape-specific':
      throw new RangeError(`${info.name}: layout depends on per-shape kernel tiling and has no defined size (formats §2.7)`);
  }
  if (size > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`${info.name}: tensor of ${size} bytes is too large`);
  return Number(size);
}

function toDim(d: number | bigint, i: number, name: string): bigint {
  if (typeof d === 'bigint') {
    if (d < 0n) throw new RangeError(`${name}: dim ${i} = ${d} is negative`);
    return d;
  }
  if (!Number.isSafeInteger(d) || d < 0) throw new RangeError(`${name}: dim ${i} = ${d} is not a non-negative integer`);
  return BigInt(d);
}
