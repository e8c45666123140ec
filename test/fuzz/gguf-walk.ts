/**
 * A GGUF layout walker for the fuzz tests, written from formats §1.1–1.2 and sharing no code with
 * src/formats/gguf/reader.ts: it lists where every count, length, type tag and tensor field of a VALID file lies, so
 * that mutations can aim at them (a string length set to 2^60, a tensor count set to 2^40).
 */

export type FieldKind =
  | 'tensor_count'
  | 'kv_count'
  | 'string_length'
  | 'value_type'
  | 'array_type'
  | 'array_count'
  | 'n_dims'
  | 'dim'
  | 'tensor_type'
  | 'tensor_offset';

export interface Field {
  readonly kind: FieldKind;
  readonly at: number;
  readonly bytes: 4 | 8;
}

/** Fields whose value is a size or a count: set past the file's size, the file must be refused (FormatError). */
export const SIZE_FIELDS: readonly FieldKind[] = ['tensor_count', 'kv_count', 'string_length', 'array_count', 'dim', 'tensor_offset'];

const SCALAR_BYTES: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

/** Every field of `bytes` (a valid GGUF v3 file) in file order. Throws on a malformed file. */
export function walkGguf(bytes: Uint8Array): Field[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields: Field[] = [];
  let p = 8;
  const u32 = (kind: FieldKind): number => {
    fields.push({ kind, at: p, bytes: 4 });
    const x = v.getUint32(p, true);
    p += 4;
    return x;
  };
  const u64 = (kind: FieldKind): number => {
    fields.push({ kind, at: p, bytes: 8 });
    const x = Number(v.getBigUint64(p, true));
    p += 8;
    return x;
  };
  const str = (): void => {
    const n = u64('string_length');
    p += n;
  };
  const value = (type: number): void => {
    if (type === 8) return str();
    if (type === 9) {
      const element = u32('array_type');
      const n = u64('array_count');
      for (let i = 0; i < n; i++) value(element);
      return;
    }
    const size = SCALAR_BYTES[type];
    if (size === undefined) throw new Error(`walkGguf: value type ${type}`);
    p += size;
  };
  const tensors = u64('tensor_count');
  const kvs = u64('kv_count');
  for (let i = 0; i < kvs; i++) {
    str();
    value(u32('value_type'));
  }
  for (let i = 0; i < tensors; i++) {
    str();
    const n = u32('n_dims');
    for (let d = 0; d < n; d++) u64('dim');
    u32('tensor_type');
    u64('tensor_offset');
  }
  if (p > bytes.length) throw new Error('walkGguf: file ends inside its header');
  return fields;
}
