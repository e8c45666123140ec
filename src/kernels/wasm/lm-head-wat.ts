/**
 * The lm_head kernels as WebAssembly text: out[t, v] = Σ_i table[v, i] · x[t, i] in float32 for rows v in [v0, v1),
 * with the table stored as float32, as IEEE half (F16) or as bfloat16 — whichever holds the checkpoint's values
 * exactly (src/backends/wasm/matrix-storage.ts), so a tied F16 embedding is read at 2 bytes a weight, not 4.
 *
 * Half → float32 in registers, exact for every finite half (subnormals included): the 15 magnitude bits shifted
 * to float32's exponent/mantissa position read as a float32 of value h · 2^-112, so one multiply by 2^112 restores
 * h (a float32 multiply by a power of two is exact in this range), and the sign bit is put back with an or.
 * bfloat16 → float32 is the 16 bits shifted up. The sums have the same order for every storage: two f32x4
 * accumulators over 8 columns, then 4 columns, then a scalar tail.
 */

export type TableStorage = 'f32' | 'f16' | 'bf16';

export const TABLE_STORAGES: readonly TableStorage[] = ['f32', 'f16', 'bf16'];

const BYTES: Record<TableStorage, number> = { f32: 4, f16: 2, bf16: 2 };

/** 2^112 as a float32. */
const TWO_112 = '5.192296858534828e+33';

/** Four table values at `ptr + offset` as f32x4. */
function load4(storage: TableStorage, offset: number): string {
  const p = `offset=${offset} (local.get $rp)`;
  if (storage === 'f32') return `(v128.load ${p})`;
  if (storage === 'bf16') return `(i32x4.shl (v128.load16x4_u ${p}) (i32.const 16))`;
  // Sign-extended halves: bit 31 is the sign; bits 13..27 after the shift are the magnitude.
  return `(v128.or (f32x4.mul (v128.and (i32x4.shl (local.tee $h (v128.load16x4_s ${p})) (i32.const 13)) (local.get $magMask)) (local.get $two112)) (v128.and (local.get $h) (local.get $signMask)))`;
}

/** One table value at `rp` as f32. */
function load1(storage: TableStorage): string {
  if (storage === 'f32') return '(f32.load (local.get $rp))';
  if (storage === 'bf16') return '(f32.reinterpret_i32 (i32.shl (i32.load16_u (local.get $rp)) (i32.const 16)))';
  return `(f32.reinterpret_i32 (i32.or
            (i32.reinterpret_f32 (f32.mul (f32.reinterpret_i32 (i32.and (i32.shl (local.tee $hs (i32.load16_s (local.get $rp))) (i32.const 13)) (i32.const 0x0fffe000))) (f32.const ${TWO_112})))
            (i32.and (local.get $hs) (i32.const 0x80000000))))`;
}

export function lmHeadWat(storage: TableStorage): string {
  const b = BYTES[storage];
  return `
  ;; Each table row is read once per token; two f32x4 accumulators.
  (func $lm_head_${storage} (export "lm_head_${storage}")
    (param $table i32) (param $V i32) (param $d i32) (param $x i32) (param $T i32) (param $out i32) (param $v0 i32) (param $v1 i32)
    (local $v i32) (local $t i32) (local $i i32) (local $rp i32) (local $xp i32) (local $acc v128) (local $acc2 v128) (local $tail f32)
    (local $h v128) (local $hs i32) (local $magMask v128) (local $signMask v128) (local $two112 v128)
    (local.set $magMask (i32x4.splat (i32.const 0x0fffe000)))
    (local.set $signMask (i32x4.splat (i32.const 0x80000000)))
    (local.set $two112 (f32x4.splat (f32.const ${TWO_112})))
    (local.set $v (local.get $v0))
    (block $vdone (loop $vloop
      (br_if $vdone (i32.ge_u (local.get $v) (local.get $v1)))
      (local.set $t (i32.const 0))
      (block $tdone (loop $tloop
        (br_if $tdone (i32.ge_u (local.get $t) (local.get $T)))
        (local.set $rp (i32.add (local.get $table) (i32.mul (i32.mul (local.get $v) (local.get $d)) (i32.const ${b}))))
        (local.set $xp (i32.add (local.get $x) (i32.shl (i32.mul (local.get $t) (local.get $d)) (i32.const 2))))
        (local.set $acc (v128.const i64x2 0 0))
        (local.set $acc2 (v128.const i64x2 0 0))
        (local.set $i (i32.const 0))
        (block $idone (loop $iloop
          (br_if $idone (i32.gt_u (i32.add (local.get $i) (i32.const 8)) (local.get $d)))
          (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul ${load4(storage, 0)} (v128.load (local.get $xp)))))
          (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul ${load4(storage, 4 * b)} (v128.load offset=16 (local.get $xp)))))
          (local.set $rp (i32.add (local.get $rp) (i32.const ${8 * b})))
          (local.set $xp (i32.add (local.get $xp) (i32.const 32)))
          (local.set $i (i32.add (local.get $i) (i32.const 8)))
          (br $iloop)))
        (block $jdone (loop $jloop
          (br_if $jdone (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $d)))
          (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul ${load4(storage, 0)} (v128.load (local.get $xp)))))
          (local.set $rp (i32.add (local.get $rp) (i32.const ${4 * b})))
          (local.set $xp (i32.add (local.get $xp) (i32.const 16)))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br $jloop)))
        (local.set $tail (f32.const 0))
        (block $kdone (loop $kloop
          (br_if $kdone (i32.ge_u (local.get $i) (local.get $d)))
          (local.set $tail (f32.add (local.get $tail) (f32.mul ${load1(storage)} (f32.load (local.get $xp)))))
          (local.set $rp (i32.add (local.get $rp) (i32.const ${b})))
          (local.set $xp (i32.add (local.get $xp) (i32.const 4)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $kloop)))
        (local.set $acc (f32x4.add (local.get $acc) (local.get $acc2)))
        (f32.store
          (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $t) (local.get $V)) (local.get $v)) (i32.const 2)))
          (f32.add (local.get $tail)
            (f32.add (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
                     (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc))))))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $tloop)))
      (local.set $v (i32.add (local.get $v) (i32.const 1)))
      (br $vloop))))`;
}
