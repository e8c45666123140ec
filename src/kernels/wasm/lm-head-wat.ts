/**
 * The lm_head kernels as WebAssembly text: out[t, v] = Σ_i table[v, i] · x[t, i] in float32 for rows v in [v0, v1),
 * with the table stored as float32, as IEEE half (F16) or as bfloat16 — whichever holds the checkpoint's values
 * exactly (src/backends/wasm/matrix-storage.ts), so a tied F16 embedding is read at 2 bytes a weight, not 4.
 *
 * Half → float32 in registers, exact for every finite half (subnormals included): the half is sign-extended to 32
 * bits and shifted left by 13, which puts its 15 magnitude bits at float32's exponent/mantissa position (a float32
 * of value |h| · 2^-112) and a copy of the sign at bit 31; one mask keeps both, and a multiply by 2^112 restores h
 * (a power-of-two multiply is exact here). bfloat16 → float32 is the 16 bits shifted up.
 *
 * Speed: the half kernel is compute-bound here (the conversion costs more than the memory), hence the one-mask
 * conversion and, in the relaxed module, fused multiply-add: 15% faster than shift/mask/or without FMA (one thread,
 * the 700M table). Two rows per pass, sharing each load of x, was slower (TurboFan spills). Every row sums in the
 * same order (two f32x4 accumulators over 8 columns, then 4 columns, then a scalar tail), so results do not depend
 * on how rows are split between threads.
 */

export type TableStorage = 'f32' | 'f16' | 'bf16';

export const TABLE_STORAGES: readonly TableStorage[] = ['f32', 'f16', 'bf16'];

/**
 * The kernels' forms of a table: a storage, or 'f16x', a half table whose x the caller has multiplied by 2^112 (exact
 * for |x| < 2^16), so that the widening needs no multiply: (h · 2^-112) · (x · 2^112) is the same real product as
 * h · x and rounds the same — one vector operation in six fewer.
 */
export type TableKernel = TableStorage | 'f16x';

export const TABLE_KERNELS: readonly TableKernel[] = ['f32', 'f16', 'f16x', 'bf16'];

const BYTES: Record<TableKernel, number> = { f32: 4, f16: 2, f16x: 2, bf16: 2 };

/** 2^112 as a float32. */
const TWO_112 = '5.192296858534828e+33';
/** The sign bit and the 15 magnitude bits of a half after a sign-extended shift left by 13. */
const HALF_BITS = '0x8fffe000';

/** Four table values of row pointer `rp` at byte `offset`, as f32x4. */
function load4(storage: TableKernel, rp: string, offset: number): string {
  const p = `offset=${offset} (local.get ${rp})`;
  if (storage === 'f32') return `(v128.load ${p})`;
  if (storage === 'f16x') return `(v128.and (i32x4.shl (v128.load16x4_s ${p}) (i32.const 13)) (local.get $halfBits))`;
  if (storage === 'bf16') return `(i32x4.shl (v128.load16x4_u ${p}) (i32.const 16))`;
  return `(f32x4.mul (v128.and (i32x4.shl (v128.load16x4_s ${p}) (i32.const 13)) (local.get $halfBits)) (local.get $two112))`;
}

/** One table value at `rp` as f32. */
function load1(storage: TableKernel, rp: string): string {
  if (storage === 'f32') return `(f32.load (local.get ${rp}))`;
  if (storage === 'f16x') return `(f32.reinterpret_i32 (i32.and (i32.shl (i32.load16_s (local.get ${rp})) (i32.const 13)) (i32.const ${HALF_BITS})))`;
  if (storage === 'bf16') return `(f32.reinterpret_i32 (i32.shl (i32.load16_u (local.get ${rp})) (i32.const 16)))`;
  return `(f32.mul (f32.reinterpret_i32 (i32.and (i32.shl (i32.load16_s (local.get ${rp})) (i32.const 13)) (i32.const ${HALF_BITS}))) (f32.const ${TWO_112}))`;
}

/** acc + a · b, fused in the relaxed module. */
const madd = (relaxed: boolean, a: string, b: string, acc: string): string =>
  relaxed ? `(f32x4.relaxed_madd ${a} ${b} ${acc})` : `(f32x4.add ${acc} (f32x4.mul ${a} ${b}))`;

const hsum = (v: string): string =>
  `(f32.add (f32.add (f32x4.extract_lane 0 ${v}) (f32x4.extract_lane 1 ${v})) (f32.add (f32x4.extract_lane 2 ${v}) (f32x4.extract_lane 3 ${v})))`;

/** The dot product of table row $v with token $t's x, stored to out[t, v]. */
function rowPass(storage: TableKernel, relaxed: boolean): string {
  const b = BYTES[storage];
  const step = (n: number): string => `(local.set $rp (i32.add (local.get $rp) (i32.const ${n * b})))`;
  return `
        (local.set $rp (i32.add (local.get $table) (i32.mul (i32.mul (local.get $v) (local.get $d)) (i32.const ${b}))))
        (local.set $xp (i32.add (local.get $x) (i32.shl (i32.mul (local.get $t) (local.get $d)) (i32.const 2))))
        (local.set $a (v128.const i64x2 0 0))
        (local.set $b (v128.const i64x2 0 0))
        (local.set $i (i32.const 0))
        (block $idone (loop $iloop
          (br_if $idone (i32.gt_u (i32.add (local.get $i) (i32.const 8)) (local.get $d)))
          (local.set $a ${madd(relaxed, load4(storage, '$rp', 0), '(v128.load (local.get $xp))', '(local.get $a)')})
          (local.set $b ${madd(relaxed, load4(storage, '$rp', 4 * b), '(v128.load offset=16 (local.get $xp))', '(local.get $b)')})
          ${step(8)}
          (local.set $xp (i32.add (local.get $xp) (i32.const 32)))
          (local.set $i (i32.add (local.get $i) (i32.const 8)))
          (br $iloop)))
        (block $jdone (loop $jloop
          (br_if $jdone (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $d)))
          (local.set $a ${madd(relaxed, load4(storage, '$rp', 0), '(v128.load (local.get $xp))', '(local.get $a)')})
          ${step(4)}
          (local.set $xp (i32.add (local.get $xp) (i32.const 16)))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br $jloop)))
        (local.set $tail (f32.const 0))
        (block $kdone (loop $kloop
          (br_if $kdone (i32.ge_u (local.get $i) (local.get $d)))
          (local.set $tail (f32.add (local.get $tail) (f32.mul ${load1(storage, '$rp')} (f32.load (local.get $xp)))))
          ${step(1)}
          (local.set $xp (i32.add (local.get $xp) (i32.const 4)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $kloop)))
        (f32.store (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $t) (local.get $V)) (local.get $v)) (i32.const 2)))
          (f32.add (local.get $tail) ${hsum('(f32x4.add (local.get $a) (local.get $b))')}))`;
}

export function lmHeadWat(storage: TableKernel, relaxed: boolean): string {
  // Rows k and mid + k alternate: two read streams keep more memory requests in flight than one (a single stream
  // from wasm tops out near 11 GB/s on one thread here).
  const pass = (row: string, limit: string): string => `
      (local.set $v ${row})
      (if (i32.lt_u (local.get $v) ${limit}) (then
        (local.set $t (i32.const 0))
        (block $tdone (loop $tloop
          (br_if $tdone (i32.ge_u (local.get $t) (local.get $T)))
          ${rowPass(storage, relaxed)}
          (local.set $t (i32.add (local.get $t) (i32.const 1)))
          (br $tloop)))))`;
  return `
  (func $lm_head_${storage} (export "lm_head_${storage}")
    (param $table i32) (param $V i32) (param $d i32) (param $x i32) (param $T i32) (param $out i32) (param $v0 i32) (param $v1 i32)
    (local $v i32) (local $k i32) (local $mid i32) (local $t i32) (local $i i32) (local $rp i32) (local $xp i32)
    (local $a v128) (local $b v128) (local $tail f32) (local $halfBits v128) (local $two112 v128)
    (local.set $halfBits (i32x4.splat (i32.const ${HALF_BITS})))
    (local.set $two112 (f32x4.splat (f32.const ${TWO_112})))
    (local.set $mid (i32.add (local.get $v0) (i32.shr_u (i32.add (i32.sub (local.get $v1) (local.get $v0)) (i32.const 1)) (i32.const 1))))
    (local.set $k (local.get $v0))
    (block $kdone (loop $kloop
      (br_if $kdone (i32.ge_u (local.get $k) (local.get $mid)))
      ${pass('(local.get $k)', '(local.get $mid)')}
      ${pass('(i32.add (local.get $mid) (i32.sub (local.get $k) (local.get $v0)))', '(local.get $v1)')}
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $kloop))))`;
}

/**
 * The opt-in lossy lm_head (LoadOptions.lmHead = 'int8'): table rows stored as int8 with one float32 scale per row
 * (absmax / 127), activations quantised per token the same way, integer dot products (exact: products fit i16,
 * sums i32), out[t, v] = Σ q_v,i · q_t,i · rowScale[v] · xScale[t]. Half the bytes of F16 and a third of the
 * vector operations per weight. Rows pad to a multiple of 16 bytes (zeros).
 *
 * lm_head_i8(table, scales, V, dPad, xq, xScales, T, out, v0, v1): table int8 [V, dPad]; scales f32 [V];
 * xq int8 [T, dPad]; xScales f32 [T]; out f32 [T, V].
 */
export const LM_HEAD_I8_WAT = `
  (func $lm_head_i8 (export "lm_head_i8")
    (param $table i32) (param $scales i32) (param $V i32) (param $d i32) (param $xq i32) (param $xScales i32) (param $T i32) (param $out i32) (param $v0 i32) (param $v1 i32)
    (local $v i32) (local $t i32) (local $i i32) (local $rp i32) (local $xp i32) (local $w v128) (local $x v128) (local $acc v128) (local $acc2 v128) (local $s f32)
    (local.set $v (local.get $v0))
    (block $vdone (loop $vloop
      (br_if $vdone (i32.ge_u (local.get $v) (local.get $v1)))
      (local.set $s (f32.load (i32.add (local.get $scales) (i32.shl (local.get $v) (i32.const 2)))))
      (local.set $t (i32.const 0))
      (block $tdone (loop $tloop
        (br_if $tdone (i32.ge_u (local.get $t) (local.get $T)))
        (local.set $rp (i32.add (local.get $table) (i32.mul (local.get $v) (local.get $d))))
        (local.set $xp (i32.add (local.get $xq) (i32.mul (local.get $t) (local.get $d))))
        (local.set $acc (v128.const i64x2 0 0))
        (local.set $acc2 (v128.const i64x2 0 0))
        (local.set $i (i32.const 0))
        (block $idone (loop $iloop
          (br_if $idone (i32.ge_u (local.get $i) (local.get $d)))
          (local.set $w (v128.load (local.get $rp)))
          (local.set $x (v128.load (local.get $xp)))
          (local.set $acc (i32x4.add (local.get $acc) (i32x4.extadd_pairwise_i16x8_s (i16x8.extmul_low_i8x16_s (local.get $w) (local.get $x)))))
          (local.set $acc2 (i32x4.add (local.get $acc2) (i32x4.extadd_pairwise_i16x8_s (i16x8.extmul_high_i8x16_s (local.get $w) (local.get $x)))))
          (local.set $rp (i32.add (local.get $rp) (i32.const 16)))
          (local.set $xp (i32.add (local.get $xp) (i32.const 16)))
          (local.set $i (i32.add (local.get $i) (i32.const 16)))
          (br $iloop)))
        (local.set $acc (i32x4.add (local.get $acc) (local.get $acc2)))
        (f32.store (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $t) (local.get $V)) (local.get $v)) (i32.const 2)))
          (f32.mul (f32.mul (f32.convert_i32_s (i32.add (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
                                                         (i32.add (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc)))))
                            (local.get $s))
                   (f32.load (i32.add (local.get $xScales) (i32.shl (local.get $t) (i32.const 2))))))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $tloop)))
      (local.set $v (i32.add (local.get $v) (i32.const 1)))
      (br $vloop))))`;
