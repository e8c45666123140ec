/**
 * I2_S (formats §2.6; bitnet.cpp ggml type 36): the whole tensor of n = rows·cols elements (flat row-major over
 * [out, in], cols = ne0) is n/4 packed bytes then a 32-byte tail whose first 4 bytes are the f32 scale β and the
 * rest zero. Packed bytes: 128-element blocks of 32 bytes; element j of block k sits in byte 32k + (j mod 32) at
 * bits 6 − 2·(j div 32) (group 0 in the HIGH bits). Code 0 → −1, 1 → 0, 2 → +1, 3 → 0.
 *
 * Checked against microsoft/BitNet: utils/convert-hf-to-gguf-bitnet.py `quantize_to_i2_s` (writer: n//4 packed
 * bytes + 32, scale at n//4), src/ggml-bitnet-mad.cpp `quantize_i2_s` (x86 ACT_PARALLEL path: the same layout,
 * β = max|w|, code 1 where |w| < 1e-6), and the fork's `dequantize_row_i2_s` (map {−1, 0, +1, 0}: code 3 → 0).
 *
 * Only this 128/32 layout is read. Two other byte orders share the type id and cannot be told apart from the
 * bytes: ARM builds' C quantizer (64-element, 16-byte blocks) and, since bitnet.cpp 112f853, the x86 quantizer
 * without ACT_PARALLEL (four rows interleaved per byte). Files from the Python converters use this one.
 */

/** Elements per packed I2_S block (x86 / converter layout). */
export const I2S_BLOCK_ELEMS = 128;
/** Bytes per packed I2_S block. */
export const I2S_BLOCK_BYTES = 32;
/** Bytes after the n/4 packed bytes: f32 scale then 28 zeros. */
export const I2S_TAIL_BYTES = 32;

/** Code → ternary value, as bitnet.cpp's dequantizer maps it (code 3 → 0). */
const CODE_T = Int8Array.of(-1, 0, 1, 0);

/** Result of {@link decodeI2S}. */
export interface I2SDecoded {
  /** rows × cols values in {−1, 0, +1} (code 3 read as 0). */
  readonly ternary: Int8Array;
  /** The f32 scale β from the first 4 tail bytes. */
  readonly scale: number;
  /** Flat index of the first element stored as code 3 (no writer produces it), or −1. */
  readonly badCode: number;
}

/** Bytes of an I2_S tensor of n elements: n/4 + 32 (n a multiple of 128). */
export function i2sByteSize(n: number): number {
  return n / 4 + I2S_TAIL_BYTES;
}

/** Decodes `rows × cols` I2_S elements. Throws RangeError unless rows·cols % 128 = 0 and the length is n/4 + 32. */
export function decodeI2S(bytes: Uint8Array, rows: number, cols: number): I2SDecoded {
  const n = checkShape('decodeI2S', rows, cols);
  if (bytes.length !== i2sByteSize(n)) throw new RangeError(`decodeI2S: ${rows}×${cols} needs ${i2sByteSize(n)} bytes, got ${bytes.length}`);
  const ternary = new Int8Array(n);
  let badCode = -1;
  for (let base = 0; base < n; base += I2S_BLOCK_ELEMS) {
    const src = base >> 2;
    for (let g = 0; g < 4; g++) {
      const shift = 6 - 2 * g;
      const out = base + 32 * g;
      for (let m = 0; m < 32; m++) {
        const code = (bytes[src + m] >> shift) & 3;
        if (code === 3 && badCode < 0) badCode = out + m;
        ternary[out + m] = CODE_T[code];
      }
    }
  }
  const scale = new DataView(bytes.buffer, bytes.byteOffset + n / 4, 4).getFloat32(0, true);
  return { ternary, scale, badCode };
}

/**
 * Encodes ternary values (each −1, 0 or +1; RangeError otherwise) in the 128/32 layout, with the tail = f32(scale)
 * (rounded to float32) followed by 28 zero bytes.
 */
export function encodeI2S(ternary: Int8Array, rows: number, cols: number, scale: number): Uint8Array {
  const n = checkShape('encodeI2S', rows, cols);
  if (ternary.length !== n) throw new RangeError(`encodeI2S: expected ${n} values, got ${ternary.length}`);
  const out = new Uint8Array(i2sByteSize(n));
  for (let f = 0; f < n; f++) {
    const t = ternary[f];
    if (t < -1 || t > 1) throw new RangeError(`encodeI2S: value ${t} at index ${f} is not ternary`);
    const j = f & 127;
    out[((f >> 7) << 5) + (j & 31)] |= (t + 1) << (6 - 2 * (j >> 5));
  }
  new DataView(out.buffer).setFloat32(n / 4, scale, true);
  return out;
}

function checkShape(fn: string, rows: number, cols: number): number {
  if (!Number.isSafeInteger(rows) || rows < 0 || !Number.isSafeInteger(cols) || cols < 0) {
    throw new RangeError(`${fn}: bad shape ${rows}×${cols}`);
  }
  const n = rows * cols;
  if (!Number.isSafeInteger(n) || n % I2S_BLOCK_ELEMS !== 0) throw new RangeError(`${fn}: ${rows}×${cols} is not a multiple of 128 elements`);
  return n;
}
