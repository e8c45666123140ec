/**
 * Causal grouped-query attention over a float32 KV cache, as WebAssembly text (formats §4.2 step 4; the cache
 * append is done by the caller). The cache is head-major, [Hkv][cap][D] for keys and for values, so one head's keys
 * are one contiguous stream (a [cap][Hkv·D] layout read 384-byte pieces 6 KB apart and ran at half the speed). For query heads h in [h0, h1) and every token t of the call, at position
 * p = startPos + t:  z_j = (q_h · k_g,j) / √D for j ≤ p,  α = softmax(z),  o_h = Σ_j α_j v_g,j,  g = h div (H / Hkv).
 * Dots and the weighted sum of values are float32 SIMD; the dots are kept as float64 (a scratch of ≥ startPos + T
 * doubles per thread), and the maximum, exp and the softmax sum are float64, so float32 rounding stays in the
 * products. The 1/√D factor is applied inside the exponent, e^((d_j − max d) / √D), which is the same softmax.
 *
 * Speed (decode at position ~150 of the 700M shape was 0.6 ms a layer with one key at a time): keys are taken four
 * at a time, so each query chunk is loaded once for four dot products with independent accumulators, and the
 * output row is loaded and stored once per four value rows. The exp is inlined (a call spilled every register).
 *
 * WebAssembly has no exp: EXP is Cody–Waite reduction x = k·ln 2 + r (|r| ≤ ln 2 / 2) with a degree-11 Taylor
 * polynomial, relative error below 1e-14, ample for a float32 result. Its argument is ≤ 0 here; below −700 it
 * gives 0, far under float32's smallest subnormal after the normalisation.
 */

const TAYLOR_DEGREE = 11;

/** e^$x into $e (f64 locals $x, $k, $r, $e). */
function inlineExp(): string {
  let fact = 1;
  const coeffs: number[] = [1];
  for (let n = 1; n <= TAYLOR_DEGREE; n++) {
    fact *= n;
    coeffs.push(1 / fact);
  }
  let poly = `(f64.const ${coeffs[TAYLOR_DEGREE]})`;
  for (let n = TAYLOR_DEGREE - 1; n >= 0; n--) poly = `(f64.add (f64.const ${coeffs[n]}) (f64.mul (local.get $r) ${poly}))`;
  return `
          (if (f64.lt (local.get $x) (f64.const -700))
            (then (local.set $e (f64.const 0)))
            (else
              (local.set $k (f64.nearest (f64.mul (local.get $x) (f64.const 1.4426950408889634))))
              (local.set $r (f64.sub (f64.sub (local.get $x) (f64.mul (local.get $k) (f64.const 6.93147180369123816490e-01)))
                                     (f64.mul (local.get $k) (f64.const 1.90821492927058770002e-10))))
              (local.set $e (f64.mul ${poly}
                (f64.reinterpret_i64 (i64.shl (i64.add (i64.trunc_f64_s (local.get $k)) (i64.const 1023)) (i64.const 52)))))))`;
}

const hsum = (v: string): string =>
  `(f32.add (f32.add (f32x4.extract_lane 0 ${v}) (f32x4.extract_lane 1 ${v})) (f32.add (f32x4.extract_lane 2 ${v}) (f32x4.extract_lane 3 ${v})))`;

const KEYS = [0, 1, 2, 3];

/** Dots of the query row with keys j .. j+3 into scores[j .. j+3] (f64), updating $max. */
const DOT4 = `
        (local.set $kp (i32.add (local.get $kc) (i32.shl (i32.add (i32.mul (local.get $j) (local.get $D)) (local.get $kvo)) (i32.const 2))))
        ${KEYS.map((k) => `(local.set $c${k} (v128.const i64x2 0 0))`).join(' ')}
        (local.set $i (i32.const 0))
        (block $d4 (loop $l4
          (br_if $d4 (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $D)))
          (local.set $qv (v128.load (i32.add (local.get $qrow) (i32.shl (local.get $i) (i32.const 2)))))
          (local.set $p (i32.add (local.get $kp) (i32.shl (local.get $i) (i32.const 2))))
          ${KEYS.map((k) => `(local.set $c${k} (f32x4.add (local.get $c${k}) (f32x4.mul (local.get $qv) (v128.load (i32.add (local.get $p) (i32.mul (local.get $rowBytes) (i32.const ${k})))))))`).join('\n          ')}
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br $l4)))
        ${KEYS.map((k) => `(local.set $f${k} ${hsum(`(local.get $c${k})`)})`).join('\n        ')}
        (block $d1 (loop $l1
          (br_if $d1 (i32.ge_u (local.get $i) (local.get $D)))
          (local.set $qs (f32.load (i32.add (local.get $qrow) (i32.shl (local.get $i) (i32.const 2)))))
          (local.set $p (i32.add (local.get $kp) (i32.shl (local.get $i) (i32.const 2))))
          ${KEYS.map((k) => `(local.set $f${k} (f32.add (local.get $f${k}) (f32.mul (local.get $qs) (f32.load (i32.add (local.get $p) (i32.mul (local.get $rowBytes) (i32.const ${k})))))))`).join('\n          ')}
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $l1)))
        ${KEYS.map((k) => `(local.set $x (f64.promote_f32 (local.get $f${k})))
        (f64.store offset=${8 * k} (i32.add (local.get $scores) (i32.shl (local.get $j) (i32.const 3))) (local.get $x))
        (local.set $max (f64.max (local.get $max) (local.get $x)))`).join('\n        ')}`;

/** The same for one key j. */
const DOT1 = `
        (local.set $kp (i32.add (local.get $kc) (i32.shl (i32.add (i32.mul (local.get $j) (local.get $D)) (local.get $kvo)) (i32.const 2))))
        (local.set $c0 (v128.const i64x2 0 0))
        (local.set $i (i32.const 0))
        (block $d4 (loop $l4
          (br_if $d4 (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $D)))
          (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (v128.load (i32.add (local.get $qrow) (i32.shl (local.get $i) (i32.const 2)))) (v128.load (i32.add (local.get $kp) (i32.shl (local.get $i) (i32.const 2)))))))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br $l4)))
        (local.set $f0 ${hsum('(local.get $c0)')})
        (block $d1 (loop $l1
          (br_if $d1 (i32.ge_u (local.get $i) (local.get $D)))
          (local.set $f0 (f32.add (local.get $f0) (f32.mul (f32.load (i32.add (local.get $qrow) (i32.shl (local.get $i) (i32.const 2)))) (f32.load (i32.add (local.get $kp) (i32.shl (local.get $i) (i32.const 2)))))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $l1)))
        (local.set $x (f64.promote_f32 (local.get $f0)))
        (f64.store (i32.add (local.get $scores) (i32.shl (local.get $j) (i32.const 3))) (local.get $x))
        (local.set $max (f64.max (local.get $max) (local.get $x)))`;

/** The weight α_{j+k} as float32 into $a<k>. */
const alpha = (k: number): string =>
  `(local.set $a${k} (f32.demote_f64 (f64.mul (f64.load offset=${8 * k} (i32.add (local.get $scores) (i32.shl (local.get $j) (i32.const 3)))) (local.get $inv))))`;

/** out += Σ_k α_{j+k} · v_{j+k} for `keys` keys starting at j. */
function axpy(keys: number): string {
  const ks = KEYS.slice(0, keys);
  const vAt = (k: number, i: string): string => `(i32.add (local.get $p) (i32.add (i32.mul (local.get $rowBytes) (i32.const ${k})) ${i}))`;
  let vec = '(v128.load (local.get $o))';
  let sca = '(f32.load (local.get $o))';
  for (const k of ks) {
    vec = `(f32x4.add ${vec} (f32x4.mul (local.get $av${k}) (v128.load ${vAt(k, '(i32.const 0)')})))`;
    sca = `(f32.add ${sca} (f32.mul (local.get $a${k}) (f32.load ${vAt(k, '(i32.const 0)')})))`;
  }
  return `
        ${ks.map(alpha).join('\n        ')}
        ${ks.map((k) => `(local.set $av${k} (f32x4.splat (local.get $a${k})))`).join(' ')}
        (local.set $p (i32.add (local.get $vc) (i32.shl (i32.add (i32.mul (local.get $j) (local.get $D)) (local.get $kvo)) (i32.const 2))))
        (local.set $o (local.get $orow))
        (local.set $i (i32.const 0))
        (block $e4 (loop $m4
          (br_if $e4 (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $D)))
          (v128.store (local.get $o) ${vec})
          (local.set $o (i32.add (local.get $o) (i32.const 16)))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br $m4)))
        (block $e1 (loop $m1
          (br_if $e1 (i32.ge_u (local.get $i) (local.get $D)))
          (f32.store (local.get $o) ${sca})
          (local.set $o (i32.add (local.get $o) (i32.const 4)))
          (local.set $p (i32.add (local.get $p) (i32.const 4)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $m1)))`;
}

export const ATTENTION_WAT = `
  (func $attention_heads (export "attention_heads")
    (param $q i32) (param $kc i32) (param $vc i32) (param $out i32) (param $T i32) (param $startPos i32)
    (param $H i32) (param $Hkv i32) (param $D i32) (param $cap i32) (param $scores i32) (param $h0 i32) (param $h1 i32)
    (local $t i32) (local $h i32) (local $j i32) (local $n i32) (local $i i32) (local $kvo i32) (local $rowBytes i32)
    (local $qrow i32) (local $orow i32) (local $kp i32) (local $p i32) (local $o i32)
    (local $qv v128) (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128)
    (local $av0 v128) (local $av1 v128) (local $av2 v128) (local $av3 v128)
    (local $qs f32) (local $f0 f32) (local $f1 f32) (local $f2 f32) (local $f3 f32)
    (local $a0 f32) (local $a1 f32) (local $a2 f32) (local $a3 f32)
    (local $scale f64) (local $x f64) (local $k f64) (local $r f64) (local $e f64) (local $max f64) (local $sum f64) (local $inv f64)
    (local.set $rowBytes (i32.shl (local.get $D) (i32.const 2)))
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
        (local.set $kvo (i32.mul (i32.mul (i32.div_u (local.get $h) (i32.div_u (local.get $H) (local.get $Hkv))) (local.get $cap)) (local.get $D)))
        ;; Raw dots q · k_j and their maximum.
        (local.set $max (f64.const -inf))
        (local.set $j (i32.const 0))
        (block $s4done (loop $s4
          (br_if $s4done (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
          ${DOT4}
          (local.set $j (i32.add (local.get $j) (i32.const 4)))
          (br $s4)))
        (block $s1done (loop $s1
          (br_if $s1done (i32.ge_u (local.get $j) (local.get $n)))
          ${DOT1}
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $s1)))
        ;; Softmax weights e^((d_j − max) / √D), unnormalised, and their sum.
        (local.set $sum (f64.const 0))
        (local.set $j (i32.const 0))
        (block $edone (loop $eloop
          (br_if $edone (i32.ge_u (local.get $j) (local.get $n)))
          (local.set $p (i32.add (local.get $scores) (i32.shl (local.get $j) (i32.const 3))))
          (local.set $x (f64.mul (f64.sub (f64.load (local.get $p)) (local.get $max)) (local.get $scale)))
          ${inlineExp()}
          (f64.store (local.get $p) (local.get $e))
          (local.set $sum (f64.add (local.get $sum) (local.get $e)))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $eloop)))
        (local.set $inv (f64.div (f64.const 1) (local.get $sum)))
        ;; o = Σ_j α_j v_j, four value rows per pass over o.
        (local.set $o (local.get $orow))
        (local.set $i (i32.const 0))
        (block $zdone (loop $zloop
          (br_if $zdone (i32.ge_u (local.get $i) (local.get $D)))
          (f32.store (local.get $o) (f32.const 0))
          (local.set $o (i32.add (local.get $o) (i32.const 4)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $zloop)))
        (local.set $j (i32.const 0))
        (block $v4done (loop $v4
          (br_if $v4done (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
          ${axpy(4)}
          (local.set $j (i32.add (local.get $j) (i32.const 4)))
          (br $v4)))
        (block $v1done (loop $v1
          (br_if $v1done (i32.ge_u (local.get $j) (local.get $n)))
          ${axpy(1)}
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $v1)))
        (local.set $h (i32.add (local.get $h) (i32.const 1)))
        (br $hloop)))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $tloop))))`;
