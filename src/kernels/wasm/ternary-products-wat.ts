/**
 * Several BitLinear products that share one quantised input (q, k and v; gate and up) in one kernel call, each
 * finished to its float32 output — so that a decode step hands the worker threads 4 jobs a layer instead of 7 and
 * the rescaling runs split across threads in WebAssembly instead of in a JavaScript loop after each product.
 *
 * ternary_products(desc, count, x, T, scales, sums, scratch, g0, g1): the matrices' row groups are numbered one
 * after another (matrix m owns [start_m, start_m + groups_m)); a call computes the groups in [g0, g1) of that joint
 * range with ternary_dots_rows into each matrix's int32 dots [T, 4·groups_m], then for those rows
 *   out_m[t, j] = float32( ((dot − Σ_i q[t, i]) · β_m) / s_t )
 * in float64 — the same operations in the same order as the single-product path in src/backends/wasm/ops.ts, so
 * the results are identical. Descriptors (DESC_BYTES each, 8-byte aligned): w, groups, kblocks, rows, dots, out,
 * start (i32 at 0..24), β (f64 at 32). scales: float64 [T]; sums: int32 [T].
 */

export const DESC_BYTES = 40;

export const TERNARY_PRODUCTS_WAT = `
  (func $ternary_products (export "ternary_products")
    (param $desc i32) (param $count i32) (param $x i32) (param $T i32) (param $scales i32) (param $sums i32) (param $scratch i32) (param $g0 i32) (param $g1 i32)
    (local $m i32) (local $d i32) (local $start i32) (local $groups i32) (local $rows i32) (local $lo i32) (local $hi i32)
    (local $dots i32) (local $out i32) (local $t i32) (local $j i32) (local $j1 i32) (local $npad i32)
    (local $beta f64) (local $sum f64) (local $s f64)
    (local.set $m (i32.const 0))
    (block $mdone (loop $mloop
      (br_if $mdone (i32.ge_u (local.get $m) (local.get $count)))
      (local.set $d (i32.add (local.get $desc) (i32.mul (local.get $m) (i32.const ${DESC_BYTES}))))
      (local.set $groups (i32.load offset=4 (local.get $d)))
      (local.set $start (i32.load offset=24 (local.get $d)))
      ;; This call's part of matrix m, in its own group numbers.
      (local.set $lo (select (local.get $g0) (local.get $start) (i32.gt_u (local.get $g0) (local.get $start))))
      (local.set $hi (i32.add (local.get $start) (local.get $groups)))
      (local.set $hi (select (local.get $g1) (local.get $hi) (i32.lt_u (local.get $g1) (local.get $hi))))
      (if (i32.lt_u (local.get $lo) (local.get $hi)) (then
        (local.set $lo (i32.sub (local.get $lo) (local.get $start)))
        (local.set $hi (i32.sub (local.get $hi) (local.get $start)))
        (local.set $rows (i32.load offset=12 (local.get $d)))
        (local.set $dots (i32.load offset=16 (local.get $d)))
        (local.set $out (i32.load offset=20 (local.get $d)))
        (local.set $beta (f64.load offset=32 (local.get $d)))
        (local.set $npad (i32.shl (local.get $groups) (i32.const 2)))
        (call $ternary_dots_rows (i32.load (local.get $d)) (local.get $groups) (i32.load offset=8 (local.get $d))
          (local.get $x) (local.get $T) (local.get $dots) (local.get $scratch) (local.get $lo) (local.get $hi))
        ;; Rows 4·lo .. min(4·hi, rows): padding rows of the last group have no output.
        (local.set $j1 (i32.shl (local.get $hi) (i32.const 2)))
        (local.set $j1 (select (local.get $rows) (local.get $j1) (i32.gt_u (local.get $j1) (local.get $rows))))
        (local.set $t (i32.const 0))
        (block $tdone (loop $tloop
          (br_if $tdone (i32.ge_u (local.get $t) (local.get $T)))
          (local.set $sum (f64.convert_i32_s (i32.load (i32.add (local.get $sums) (i32.shl (local.get $t) (i32.const 2))))))
          (local.set $s (f64.load (i32.add (local.get $scales) (i32.shl (local.get $t) (i32.const 3)))))
          (local.set $j (i32.shl (local.get $lo) (i32.const 2)))
          (block $jdone (loop $jloop
            (br_if $jdone (i32.ge_u (local.get $j) (local.get $j1)))
            (f32.store
              (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $t) (local.get $rows)) (local.get $j)) (i32.const 2)))
              (f32.demote_f64 (f64.div
                (f64.mul (f64.sub (f64.convert_i32_s (i32.load (i32.add (local.get $dots)
                  (i32.shl (i32.add (i32.mul (local.get $t) (local.get $npad)) (local.get $j)) (i32.const 2)))))
                  (local.get $sum)) (local.get $beta))
                (local.get $s))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $jloop)))
          (local.set $t (i32.add (local.get $t) (i32.const 1)))
          (br $tloop)))))
      (local.set $m (i32.add (local.get $m) (i32.const 1)))
      (br $mloop))))`;

/**
 * llama.cpp's TQ × Q8_K product (numerics 'llamacpp') for row groups [g0, g1) and all T tokens: per 256-column block
 * b the exact integer Σ q · t — ternary_dots_rows over that block's four 64-column blocks, minus Σ q — times
 * d[t, b], summed in float64, then times β:
 *   out[t, j] = float32(β · Σ_b d[t, b] · (Σ_{i ∈ b} q[t, i] · c[j, i] − qsum[t, b]))
 * Within float32 of the oracle's Σ float32(q · d) · t (spec/tolerances.ts, ternaryMatmul.q8k), as llama.cpp sums.
 *
 * ternary_q8k_rows(w, groups, kb, q, d, qsums, T, out, rows, params, dots, g0, g1): q int8 [T, 64·kb] in the heap
 * (kb a multiple of 4); d float64 [T, kb / 4]; qsums int32 [T, kb / 4]; params: β as float64; dots: 16 bytes of
 * this thread's scratch.
 */
export const TERNARY_Q8K_WAT = `
  (func $ternary_q8k_rows (export "ternary_q8k_rows")
    (param $w i32) (param $groups i32) (param $kb i32) (param $q i32) (param $d i32) (param $qsums i32) (param $T i32)
    (param $out i32) (param $rows i32) (param $params i32) (param $dots i32) (param $g0 i32) (param $g1 i32)
    (local $g i32) (local $t i32) (local $b i32) (local $blocks i32) (local $at i32) (local $r i32) (local $qs i32)
    (local $db f64) (local $a0 f64) (local $a1 f64) (local $a2 f64) (local $a3 f64) (local $beta f64)
    (local.set $blocks (i32.shr_u (local.get $kb) (i32.const 2)))
    (local.set $beta (f64.load (local.get $params)))
    (local.set $g (local.get $g0))
    (block $gdone (loop $gloop
      (br_if $gdone (i32.ge_u (local.get $g) (local.get $g1)))
      (local.set $t (i32.const 0))
      (block $tdone (loop $tloop
        (br_if $tdone (i32.ge_u (local.get $t) (local.get $T)))
        (local.set $a0 (f64.const 0)) (local.set $a1 (f64.const 0)) (local.set $a2 (f64.const 0)) (local.set $a3 (f64.const 0))
        (local.set $b (i32.const 0))
        (block $bdone (loop $bloop
          (br_if $bdone (i32.ge_u (local.get $b) (local.get $blocks)))
          ;; The block's four 64-column blocks are contiguous in the group: one "group" of kb = 4 there.
          (call $ternary_dots_rows
            (i32.add (local.get $w) (i32.add (i32.mul (local.get $g) (i32.shl (local.get $kb) (i32.const 6))) (i32.shl (local.get $b) (i32.const 8))))
            (i32.const 1) (i32.const 4)
            (i32.add (local.get $q) (i32.add (i32.mul (local.get $t) (i32.shl (local.get $kb) (i32.const 6))) (i32.shl (local.get $b) (i32.const 8))))
            (i32.const 1) (local.get $dots) (i32.const 0) (i32.const 0) (i32.const 1))
          (local.set $at (i32.add (i32.mul (local.get $t) (local.get $blocks)) (local.get $b)))
          (local.set $db (f64.load (i32.add (local.get $d) (i32.shl (local.get $at) (i32.const 3)))))
          (local.set $qs (i32.load (i32.add (local.get $qsums) (i32.shl (local.get $at) (i32.const 2)))))
          (local.set $a0 (f64.add (local.get $a0) (f64.mul (local.get $db) (f64.convert_i32_s (i32.sub (i32.load offset=0 (local.get $dots)) (local.get $qs))))))
          (local.set $a1 (f64.add (local.get $a1) (f64.mul (local.get $db) (f64.convert_i32_s (i32.sub (i32.load offset=4 (local.get $dots)) (local.get $qs))))))
          (local.set $a2 (f64.add (local.get $a2) (f64.mul (local.get $db) (f64.convert_i32_s (i32.sub (i32.load offset=8 (local.get $dots)) (local.get $qs))))))
          (local.set $a3 (f64.add (local.get $a3) (f64.mul (local.get $db) (f64.convert_i32_s (i32.sub (i32.load offset=12 (local.get $dots)) (local.get $qs))))))
          (local.set $b (i32.add (local.get $b) (i32.const 1)))
          (br $bloop)))
        ;; Rows 4g + r that exist (the last group may be padding).
        (local.set $r (i32.shl (local.get $g) (i32.const 2)))
        (local.set $at (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $t) (local.get $rows)) (local.get $r)) (i32.const 2))))
        (if (i32.lt_u (local.get $r) (local.get $rows)) (then (f32.store offset=0 (local.get $at) (f32.demote_f64 (f64.mul (local.get $a0) (local.get $beta))))))
        (if (i32.lt_u (i32.add (local.get $r) (i32.const 1)) (local.get $rows)) (then (f32.store offset=4 (local.get $at) (f32.demote_f64 (f64.mul (local.get $a1) (local.get $beta))))))
        (if (i32.lt_u (i32.add (local.get $r) (i32.const 2)) (local.get $rows)) (then (f32.store offset=8 (local.get $at) (f32.demote_f64 (f64.mul (local.get $a2) (local.get $beta))))))
        (if (i32.lt_u (i32.add (local.get $r) (i32.const 3)) (local.get $rows)) (then (f32.store offset=12 (local.get $at) (f32.demote_f64 (f64.mul (local.get $a3) (local.get $beta))))))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $tloop)))
      (local.set $g (i32.add (local.get $g) (i32.const 1)))
      (br $gloop))))`;
