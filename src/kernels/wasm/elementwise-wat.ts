/**
 * The small per-element ops as WebAssembly text, each over a range of rows or elements so threads can split them
 * (the last two parameters), float32 in and out:
 * - rmsnorm_rows(x, w, out, K, params, r0, r1): out[r] = x[r] / rms · w with rms = sqrt(Σx² / K + eps); the sum of
 *   squares is float64 (two f64x2 accumulators), eps is the float64 at `params`. out may alias x.
 * - silu_mul(out, gate, up, i0, i1): out = gate / (1 + e^−gate) · up, with a float32 SIMD exp (below).
 * - relu_sq_mul(out, gate, up, i0, i1): out = max(gate, 0)² · up.
 * - add(out, a, b, i0, i1): out = a + b.
 * Four lanes at a time, then a scalar tail. Error bounds: spec/tolerances.ts (float32 rows).
 *
 * exp4: Cody–Waite reduction x = k·ln 2 + r with ln 2 split in two (Cephes' constants, so k·C1 is exact) and a
 * degree-6 Taylor polynomial for e^r, |r| ≤ ln 2 / 2: about 2 ulp, inside the float32 silu row (which budgets
 * WGSL's looser exp). The argument is clamped to [−87, 88] so that 2^k stays a normal float32, and above float32's
 * overflow point the result is +∞, so silu of a very negative gate is −0 as in float32 arithmetic (with a clamped
 * e^88 instead, g · up / e^88 can exceed the row's absolute slack when g and up are large). Below −87 the result
 * e^−87 stands for a smaller value; silu is then g / (1 + e^x) = g to float32 precision either way.
 */

const CLAMP_LO = -87;
const CLAMP_HI = 88;
/** Above this e^x overflows float32 (ln(2^128) ≈ 88.72): the result is +∞, as a float32 exp's would be. */
const OVERFLOW = 88.72283935546875;
const LOG2E = 1.4426950408889634;
const C1 = 0.693359375;
const C2 = -2.12194440e-4;

function exp4(arg: string): string {
  const c = (v: number): string => `(f32x4.splat (f32.const ${v === Infinity ? 'inf' : v}))`;
  let p = c(1 / 720);
  for (const k of [1 / 120, 1 / 24, 1 / 6, 1 / 2, 1, 1]) p = `(f32x4.add ${c(k)} (f32x4.mul (local.get $r) ${p}))`;
  return `(block (result v128)
      (local.set $e (f32x4.max (f32x4.min ${arg} ${c(CLAMP_HI)}) ${c(CLAMP_LO)}))
      (local.set $k (f32x4.nearest (f32x4.mul (local.get $e) ${c(LOG2E)})))
      (local.set $r (f32x4.sub (f32x4.sub (local.get $e) (f32x4.mul (local.get $k) ${c(C1)})) (f32x4.mul (local.get $k) ${c(C2)})))
      (v128.bitselect ${c(Infinity)}
        (f32x4.mul ${p} (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $k)) (i32x4.splat (i32.const 127))) (i32.const 23)))
        (f32x4.ge ${arg} ${c(OVERFLOW)})))`;
}

/** A loop over elements [i0, i1) of three float32 arrays; `vec` and `scalar` compute one step from $g and $u. */
function binary(name: string, a: string, b: string, vec: string, scalar: string, locals = ''): string {
  return `
  (func $${name} (export "${name}") (param $out i32) (param $${a} i32) (param $${b} i32) (param $i0 i32) (param $i1 i32)
    (local $i i32) (local $o i32) (local $p i32) (local $q i32) (local $g v128) (local $u v128) (local $gs f32) (local $us f32) ${locals}
    (local.set $i (local.get $i0))
    (local.set $o (i32.add (local.get $out) (i32.shl (local.get $i0) (i32.const 2))))
    (local.set $p (i32.add (local.get $${a}) (i32.shl (local.get $i0) (i32.const 2))))
    (local.set $q (i32.add (local.get $${b}) (i32.shl (local.get $i0) (i32.const 2))))
    (block $d4 (loop $l4
      (br_if $d4 (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $i1)))
      (local.set $g (v128.load (local.get $p)))
      (local.set $u (v128.load (local.get $q)))
      (v128.store (local.get $o) ${vec})
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (local.set $q (i32.add (local.get $q) (i32.const 16)))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $l4)))
    (block $d1 (loop $l1
      (br_if $d1 (i32.ge_u (local.get $i) (local.get $i1)))
      (local.set $gs (f32.load (local.get $p)))
      (local.set $us (f32.load (local.get $q)))
      (f32.store (local.get $o) ${scalar})
      (local.set $o (i32.add (local.get $o) (i32.const 4)))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (local.set $q (i32.add (local.get $q) (i32.const 4)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l1))))`;
}

// The scalar tail of silu goes through a one-lane vector so that it uses the same exp.
const SILU = binary(
  'silu_mul',
  'gate',
  'up',
  `(f32x4.mul (f32x4.div (local.get $g) (f32x4.add (f32x4.splat (f32.const 1)) ${exp4('(f32x4.neg (local.get $g))')})) (local.get $u))`,
  `(f32.mul (f32.div (local.get $gs) (f32.add (f32.const 1) (f32x4.extract_lane 0 ${exp4('(f32x4.splat (f32.neg (local.get $gs)))')}))) (local.get $us))`,
  '(local $e v128) (local $k v128) (local $r v128)',
);

const RELU_SQ = binary(
  'relu_sq_mul',
  'gate',
  'up',
  `(f32x4.mul (f32x4.mul (local.tee $g (f32x4.max (local.get $g) (v128.const i64x2 0 0))) (local.get $g)) (local.get $u))`,
  `(f32.mul (f32.mul (local.tee $gs (f32.max (local.get $gs) (f32.const 0))) (local.get $gs)) (local.get $us))`,
);

const ADD = binary('add', 'a', 'b', '(f32x4.add (local.get $g) (local.get $u))', '(f32.add (local.get $gs) (local.get $us))');

const RMSNORM = `
  (func $rmsnorm_rows (export "rmsnorm_rows") (param $x i32) (param $w i32) (param $out i32) (param $K i32) (param $params i32) (param $r0 i32) (param $r1 i32)
    (local $r i32) (local $i i32) (local $xp i32) (local $op i32) (local $wp i32) (local $v v128) (local $s0 v128) (local $s1 v128)
    (local $ss f64) (local $xs f64) (local $rms v128) (local $rmss f32)
    (local.set $r (local.get $r0))
    (block $rdone (loop $rloop
      (br_if $rdone (i32.ge_u (local.get $r) (local.get $r1)))
      (local.set $xp (i32.add (local.get $x) (i32.shl (i32.mul (local.get $r) (local.get $K)) (i32.const 2))))
      (local.set $s0 (v128.const i64x2 0 0))
      (local.set $s1 (v128.const i64x2 0 0))
      (local.set $i (i32.const 0))
      (block $d4 (loop $l4
        (br_if $d4 (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $K)))
        (local.set $v (v128.load (i32.add (local.get $xp) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $s0 (f64x2.add (local.get $s0) (f64x2.mul (f64x2.promote_low_f32x4 (local.get $v)) (f64x2.promote_low_f32x4 (local.get $v)))))
        (local.set $v (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))
        (local.set $s1 (f64x2.add (local.get $s1) (f64x2.mul (f64x2.promote_low_f32x4 (local.get $v)) (f64x2.promote_low_f32x4 (local.get $v)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $l4)))
      (local.set $s0 (f64x2.add (local.get $s0) (local.get $s1)))
      (local.set $ss (f64.add (f64x2.extract_lane 0 (local.get $s0)) (f64x2.extract_lane 1 (local.get $s0))))
      (block $d1 (loop $l1
        (br_if $d1 (i32.ge_u (local.get $i) (local.get $K)))
        (local.set $xs (f64.promote_f32 (f32.load (i32.add (local.get $xp) (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $ss (f64.add (local.get $ss) (f64.mul (local.get $xs) (local.get $xs))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l1)))
      (local.set $rmss (f32.demote_f64 (f64.sqrt (f64.add (f64.div (local.get $ss) (f64.convert_i32_u (local.get $K))) (f64.load (local.get $params))))))
      (local.set $rms (f32x4.splat (local.get $rmss)))
      (local.set $op (i32.add (local.get $out) (i32.sub (local.get $xp) (local.get $x))))
      (local.set $wp (local.get $w))
      (local.set $i (i32.const 0))
      (block $e4 (loop $m4
        (br_if $e4 (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $K)))
        (v128.store (local.get $op) (f32x4.mul (f32x4.div (v128.load (local.get $xp)) (local.get $rms)) (v128.load (local.get $wp))))
        (local.set $xp (i32.add (local.get $xp) (i32.const 16)))
        (local.set $op (i32.add (local.get $op) (i32.const 16)))
        (local.set $wp (i32.add (local.get $wp) (i32.const 16)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $m4)))
      (block $e1 (loop $m1
        (br_if $e1 (i32.ge_u (local.get $i) (local.get $K)))
        (f32.store (local.get $op) (f32.mul (f32.div (f32.load (local.get $xp)) (local.get $rmss)) (f32.load (local.get $wp))))
        (local.set $xp (i32.add (local.get $xp) (i32.const 4)))
        (local.set $op (i32.add (local.get $op) (i32.const 4)))
        (local.set $wp (i32.add (local.get $wp) (i32.const 4)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $m1)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rloop))))`;

export const ELEMENTWISE_WAT = [RMSNORM, SILU, RELU_SQ, ADD].join('\n');
