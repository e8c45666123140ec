/**
 * Half-precision codecs (formats §2.1). Decoding is exact: every F16 and BF16 value is representable in float32.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE binary16 bits → number (subnormals, infinities and NaN as IEEE). */
export function f16ToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** bfloat16 bits → number: the bits are the upper half of a float32. */
export function bf16ToNumber(h: number): number {
  u32[0] = (h & 0xffff) << 16;
  return f32[0];
}

/** number → IEEE binary16 bits, rounded to nearest even directly from the float64 value (used by writers). */
export function numberToF16(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00; // 65520 is the halfway point above the largest finite half, 65504
  if (a < 2 ** -14) return sign | roundHalfEven(a * 2 ** 24); // subnormal; 1024 carries into the smallest normal
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e -= 1;
  if (2 ** (e + 1) <= a) e += 1;
  let mant = roundHalfEven((a / 2 ** e - 1) * 1024); // exact: scaling by a power of two
  if (mant === 1024) {
    mant = 0;
    e += 1;
  }
  if (e + 15 >= 0x1f) return sign | 0x7c00;
  return sign | ((e + 15) << 10) | mant;
}

function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  return d < 0.5 ? f : d > 0.5 ? f + 1 : f % 2 === 0 ? f : f + 1;
}

let f16Table: Float32Array | null = null;

/** Decodes little-endian F16 bytes into float32 values (through a 65536-entry table: embeddings are large). */
export function decodeF16(bytes: Uint8Array): Float32Array {
  if (f16Table === null) {
    f16Table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = f16ToNumber(h);
  }
  const table = f16Table;
  const out = new Float32Array(bytes.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = table[bytes[2 * i] | (bytes[2 * i + 1] << 8)];
  return out;
}

/** Decodes little-endian BF16 bytes into float32 values. */
export function decodeBf16(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length >> 1);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < out.length; i++) bits[i] = (bytes[2 * i] | (bytes[2 * i + 1] << 8)) << 16;
  return out;
}

/** Copies little-endian F32 bytes into an aligned Float32Array (the source may sit at any offset). */
export function decodeF32(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length >> 2);
  new Uint8Array(out.buffer).set(bytes.subarray(0, out.length * 4));
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/**
 * Reads little-endian 16-bit values (raw F16 / BF16 bits) straight into `dst` with `read` (which fills the bytes it
 * is given), so that a table goes from the file to its destination without an intermediate copy.
 */
export function readU16LE(dst: Uint16Array, read: (bytes: Uint8Array) => void): Uint16Array {
  read(new Uint8Array(dst.buffer, dst.byteOffset, dst.byteLength));
  if (!LITTLE_ENDIAN) for (let i = 0; i < dst.length; i++) dst[i] = ((dst[i] & 0xff) << 8) | (dst[i] >> 8);
  return dst;
}
