/**
 * Causal grouped-query attention over a float32 KV cache, as WebAssembly text (formats §4.2 step 4; the cache
 * append is done by the caller). For query heads h in [h0, h1) and every token t of the call, at position
 * p = startPos + t:  z_j = (q_h · k_g,j) / √D for j ≤ p,  α = softmax(z),  o_h = Σ_j α_j v_g,j,  g = h div (H / Hkv).
 * Dots and the weighted sum of values are float32 SIMD; the scores, their maximum, exp and the softmax sum are
 * float64 (a scratch of ≥ startPos + T doubles per thread), so the float32 rounding stays in the products.
 *
 * WebAssembly has no exp: $exp is Cody–Waite reduction x = k·ln 2 + r (|r| ≤ ln 2 / 2) with a degree-11 Taylor
 * polynomial, relative error below 1e-14, ample for a float32 result. It is only called with x ≤ 0, and returns 0
 * below −700, where e^x is far under float32's smallest subnormal after the softmax normalisation.
 */

const TAYLOR_DEGREE = 11;

function expPolynomial(): string {
  // Horner from the highest term: 1/11! … 1/1!, 1.
  let fact = 1;
  const coeffs: number[] = [1];
  for (let n = 1; n <= TAYLOR_DEGREE; n++) {
    fact *= n;
    coeffs.push(1 / fact);
  }
  let expr = `(f64.const ${coeffs[TAYLOR_DEGREE]})`;
  for (let n = TAYLOR_DEGREE - 1; n >= 0; n--) expr = `(f64.add (f64.const ${coeffs[n]}) (f64.mul (local.get $r) ${expr}))`;
  return expr;
}

const EXP = `
  (func $exp (param $x f64) (result f64) (local $k f64) (local $r f64)
    (if (f64.lt (local.get $x) (f64.const -700)) (then (return (f64.const 0))))
    (local.set $k (f64.nearest (f64.mul (local.get $x) (f64.const 1.4426950408889634))))
    (local.set $r (f64.sub (f64.sub (local.get $x) (f64.mul (local.get $k) (f64.const 6.93147180369123816490e-01)))
                           (f64.mul (local.get $k) (f64.const 1.90821492927058770002e-10))))
    (f64.mul ${expPolynomial()}
      (f64.reinterpret_i64 (i64.shl (i64.add (i64.trunc_f64_s (local.get $k)) (i64.const 1023)) (i64.const 52)))))`;

/** f32 dot product of D floats at $qp and $kp into $dot. */
const DOT = `
        (local.set $acc (v128.const i64x2 0 0))
        (local.set $acc2 (v128.const i64x2 0 0))
        (local.set $i (i32.const 0))
        (block $d8 (loop $l8
          (br_if $d8 (i32.gt_u (i32.add (local.get $i) (i32.const 8)) (local.get $D)))
          (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (local.get $qp)) (v128.load (local.get $kp)))))
          (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul (v128.load offset=16 (local.get $qp)) (v128.load offset=16 (local.get $kp)))))
          (local.set $qp (i32.add (local.get $qp) (i32.const 32)))
          (local.set $kp (i32.add (local.get $kp) (i32.const 32)))
          (local.set $i (i32.add (local.get $i) (i32.const 8)))
          (br $l8)))
        (local.set $acc (f32x4.add (local.get $acc) (local.get $acc2)))
        (local.set $dot (f32.add (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
                                 (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
        (block $d1 (loop $l1
          (br_if $d1 (i32.ge_u (local.get $i) (local.get $D)))
          (local.set $dot (f32.add (local.get $dot) (f32.mul (f32.load (local.get $qp)) (f32.load (local.get $kp)))))
          (local.set $qp (i32.add (local.get $qp) (i32.const 4)))
          (local.set $kp (i32.add (local.get $kp) (i32.const 4)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $l1)))`;

/** out[0..D) += a · v[0..D) at $op and $vp. */
const AXPY = `
        (local.set $av (f32x4.splat (local.get $a)))
        (local.set $i (i32.const 0))
        (block $e4 (loop $m4
          (br_if $e4 (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $D)))
          (v128.store (local.get $op) (f32x4.add (v128.load (local.get $op)) (f32x4.mul (local.get $av) (v128.load (local.get $vp)))))
          (local.set $op (i32.add (local.get $op) (i32.const 16)))
          (local.set $vp (i32.add (local.get $vp) (i32.const 16)))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br $m4)))
        (block $e1 (loop $m1
          (br_if $e1 (i32.ge_u (local.get $i) (local.get $D)))
          (f32.store (local.get $op) (f32.add (f32.load (local.get $op)) (f32.mul (local.get $a) (f32.load (local.get $vp)))))
          (local.set $op (i32.add (local.get $op) (i32.const 4)))
          (local.set $vp (i32.add (local.get $vp) (i32.const 4)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $m1)))`;

export const ATTENTION_WAT = `${EXP}

  (func $attention_heads (export "attention_heads")
    (param $q i32) (param $kc i32) (param $vc i32) (param $out i32) (param $T i32) (param $startPos i32)
    (param $H i32) (param $Hkv i32) (param $D i32) (param $scores i32) (param $h0 i32) (param $h1 i32)
    (local $t i32) (local $h i32) (local $j i32) (local $n i32) (local $i i32) (local $kvDim i32) (local $kvo i32)
    (local $qrow i32) (local $qp i32) (local $kp i32) (local $vp i32) (local $op i32) (local $orow i32)
    (local $acc v128) (local $acc2 v128) (local $av v128) (local $dot f32) (local $a f32)
    (local $scale f64) (local $s f64) (local $max f64) (local $sum f64) (local $inv f64)
    (local.set $kvDim (i32.mul (local.get $Hkv) (local.get $D)))
    (local.set $scale (f64.div (f64.const 1) (f64.sqrt (f64.convert_i32_u (local.get $D)))))
    (local.set $t (i32.const 0))
    (block $tdone (loop $tloop
      (br_if $tdone (i32.ge_u (local.get $t) (local.get $T)))
      (local.set $n (i32.add (i32.add (local.get $startPos) (local.get $t)) (i32.const 1)))
      (local.set $h (local.get $h0))
      (block $hdone (loop $hloop
        (br_if $hdone (i32.ge_u (local.get $h) (local.get $h1)))
        (local.set $qrow (i32.add (local.get $q) (i32.shl (i32.mul (i32.add (i32.mul (local.get $t) (local.get $H)) (local.get $h)) (local.get $D)) (i32.const 2))))
        (local.set $orow (i32.add (local.get $out) (i32.sub (local.get $qrow) (local.get $q))))
        (local.set $kvo (i32.mul (i32.div_u (local.get $h) (i32.div_u (local.get $H) (local.get $Hkv))) (local.get $D)))
        ;; Scores and their maximum.
        (local.set $max (f64.const -inf))
        (local.set $j (i32.const 0))
        (block $sdone (loop $sloop
          (br_if $sdone (i32.ge_u (local.get $j) (local.get $n)))
          (local.set $qp (local.get $qrow))
          (local.set $kp (i32.add (local.get $kc) (i32.shl (i32.add (i32.mul (local.get $j) (local.get $kvDim)) (local.get $kvo)) (i32.const 2))))
          ${DOT}
          (local.set $s (f64.mul (f64.promote_f32 (local.get $dot)) (local.get $scale)))
          (f64.store (i32.add (local.get $scores) (i32.shl (local.get $j) (i32.const 3))) (local.get $s))
          (local.set $max (f64.max (local.get $max) (local.get $s)))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $sloop)))
        ;; Softmax weights, unnormalised, and their sum.
        (local.set $sum (f64.const 0))
        (local.set $j (i32.const 0))
        (block $edone (loop $eloop
          (br_if $edone (i32.ge_u (local.get $j) (local.get $n)))
          (local.set $i (i32.add (local.get $scores) (i32.shl (local.get $j) (i32.const 3))))
          (local.set $s (call $exp (f64.sub (f64.load (local.get $i)) (local.get $max))))
          (f64.store (local.get $i) (local.get $s))
          (local.set $sum (f64.add (local.get $sum) (local.get $s)))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $eloop)))
        (local.set $inv (f64.div (f64.const 1) (local.get $sum)))
        ;; o = Σ_j α_j v_j.
        (memory.fill (local.get $orow) (i32.const 0) (i32.shl (local.get $D) (i32.const 2)))
        (local.set $j (i32.const 0))
        (block $vdone (loop $vloop
          (br_if $vdone (i32.ge_u (local.get $j) (local.get $n)))
          (local.set $a (f32.demote_f64 (f64.mul (f64.load (i32.add (local.get $scores) (i32.shl (local.get $j) (i32.const 3)))) (local.get $inv))))
          (local.set $op (local.get $orow))
          (local.set $vp (i32.add (local.get $vc) (i32.shl (i32.add (i32.mul (local.get $j) (local.get $kvDim)) (local.get $kvo)) (i32.const 2))))
          ${AXPY}
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $vloop)))
        (local.set $h (i32.add (local.get $h) (i32.const 1)))
        (br $hloop)))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $tloop))))`;
