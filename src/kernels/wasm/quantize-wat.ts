/**
 * Per-token absmax int8 quantisation (formats §3.1) as WebAssembly text, decided in float64 exactly as the float64
 * reference decides it for the same float32 inputs: a = max|x| (exact), s = 127 / max(a, 1e-5),
 * q = clamp(roundTiesToEven(x · s), −128, 127) — `f64.nearest` is IEEE round-half-to-even, like numpy's `round`.
 * So the int8 activations are identical to the reference's, ties included.
 *
 * quantize_rows(x, T, K, q, paddedK, scales, sums): x f32 [T, K]; q int8 [T, paddedK] (the padding is left as it
 * is, zero); scales f64 [T] (x ≈ q / s); sums i32 [T] = Σ_i q[t, i].
 */

export const QUANTIZE_WAT = `
  (func $quantize_rows (export "quantize_rows")
    (param $x i32) (param $T i32) (param $K i32) (param $q i32) (param $paddedK i32) (param $scales i32) (param $sums i32)
    (local $t i32) (local $i i32) (local $xp i32) (local $qp i32) (local $sum i32) (local $qi i32)
    (local $m v128) (local $acc v128) (local $sv v128) (local $a f32) (local $s f64)
    (local.set $t (i32.const 0))
    (block $tdone (loop $tloop
      (br_if $tdone (i32.ge_u (local.get $t) (local.get $T)))
      (local.set $xp (i32.add (local.get $x) (i32.shl (i32.mul (local.get $t) (local.get $K)) (i32.const 2))))
      ;; a = max |x_i|: four lanes, then the lanes and the tail.
      (local.set $m (v128.const i64x2 0 0))
      (local.set $i (i32.const 0))
      (block $d4 (loop $l4
        (br_if $d4 (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $K)))
        (local.set $m (f32x4.max (local.get $m) (f32x4.abs (v128.load (i32.add (local.get $xp) (i32.shl (local.get $i) (i32.const 2)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $l4)))
      (local.set $a (f32.max (f32.max (f32x4.extract_lane 0 (local.get $m)) (f32x4.extract_lane 1 (local.get $m)))
                             (f32.max (f32x4.extract_lane 2 (local.get $m)) (f32x4.extract_lane 3 (local.get $m)))))
      (block $d1 (loop $l1
        (br_if $d1 (i32.ge_u (local.get $i) (local.get $K)))
        (local.set $a (f32.max (local.get $a) (f32.abs (f32.load (i32.add (local.get $xp) (i32.shl (local.get $i) (i32.const 2)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l1)))
      (local.set $s (f64.div (f64.const 127) (f64.max (f64.promote_f32 (local.get $a)) (f64.const 1e-5))))
      (f64.store (i32.add (local.get $scales) (i32.shl (local.get $t) (i32.const 3))) (local.get $s))
      ;; q_i and their sum.
      (local.set $qp (i32.add (local.get $q) (i32.mul (local.get $t) (local.get $paddedK))))
      (local.set $sum (i32.const 0))
      (local.set $i (i32.const 0))
      ;; Four at a time: two f64x2 halves, rounded, truncated and narrowed to four bytes. |x · s| ≤ 127 · (1 + 2u)
      ;; rounds to at most 127, so the clamp of the formula never acts here (NaN truncates to 0 either way).
      (local.set $acc (v128.const i64x2 0 0))
      (local.set $sv (f64x2.splat (local.get $s)))
      (block $vdone (loop $vloop
        (br_if $vdone (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $K)))
        (local.set $m (v128.load (i32.add (local.get $xp) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $m (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (i32x4.trunc_sat_f64x2_s_zero (f64x2.nearest (f64x2.mul (f64x2.promote_low_f32x4 (local.get $m)) (local.get $sv))))
          (i32x4.trunc_sat_f64x2_s_zero (f64x2.nearest (f64x2.mul (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $m) (local.get $m))) (local.get $sv))))))
        (local.set $acc (i32x4.add (local.get $acc) (local.get $m)))
        (v128.store32_lane 0 (i32.add (local.get $qp) (local.get $i))
          (i8x16.narrow_i16x8_s (i16x8.narrow_i32x4_s (local.get $m) (local.get $m)) (v128.const i64x2 0 0)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $vloop)))
      (local.set $sum (i32.add (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
                               (i32.add (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc)))))
      (block $qdone (loop $qloop
        (br_if $qdone (i32.ge_u (local.get $i) (local.get $K)))
        (local.set $qi (i32.trunc_sat_f64_s (f64.min (f64.const 127) (f64.max (f64.const -128)
          (f64.nearest (f64.mul (f64.promote_f32 (f32.load (i32.add (local.get $xp) (i32.shl (local.get $i) (i32.const 2))))) (local.get $s)))))))
        (i32.store8 (i32.add (local.get $qp) (local.get $i)) (local.get $qi))
        (local.set $sum (i32.add (local.get $sum) (local.get $qi)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $qloop)))
      (i32.store (i32.add (local.get $sums) (i32.shl (local.get $t) (i32.const 2))) (local.get $sum))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $tloop))))`;
