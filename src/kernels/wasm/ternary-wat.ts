/**
 * The ternary × int8 kernel as WebAssembly text (see kernels-wat.ts for the module and its exports): raw dots
 * D[t, j] = Σ_i x[t, i] · c[j, i] with codes c = t + 1 ∈ {0, 1, 2} over the 4-row interleaved layout
 * (src/backends/wasm/layout.ts). The caller subtracts Σ_i x[t, i] to get Σ x · t. Exact.
 */

/** i16x8 sum of pairwise products of an int8 vector with a 0..2 code vector. */
function dot(relaxed: boolean, a: string, b: string): string {
  if (relaxed) return `(i16x8.relaxed_dot_i8x16_i7x16_s ${a} ${b})`;
  return `(i16x8.add (i16x8.extmul_low_i8x16_s ${a} ${b}) (i16x8.extmul_high_i8x16_s ${a} ${b}))`;
}

export function ternaryDotsWat(relaxed: boolean): string {
  // Codes j = 1..3 come from 16-bit shifts: x64 has no 8-bit vector shift (V8 emulates i8x16.shr_u in several
  // instructions), and the 2-bit mask discards whatever crosses over from the neighbouring byte. Measured +25%.
  const row = (r: number): string => {
    const w = `(v128.load offset=${16 * r} (local.get $wp))`;
    const codes = (j: number): string => (j === 0 ? `(v128.and (local.tee $wv ${w}) (local.get $mask))` : `(v128.and (i16x8.shr_u (local.get $wv) (i32.const ${2 * j})) (local.get $mask))`);
    return `(local.set $s${r} (i16x8.add (local.get $s${r}) (i16x8.add (i16x8.add ${dot(relaxed, '(local.get $x0)', codes(0))} ${dot(relaxed, '(local.get $x1)', codes(1))}) (i16x8.add ${dot(relaxed, '(local.get $x2)', codes(2))} ${dot(relaxed, '(local.get $x3)', codes(3))}))))`;
  };
  const widen = [0, 1, 2, 3].map((r) => `(local.set $a${r} (i32x4.add (local.get $a${r}) (i32x4.extadd_pairwise_i16x8_s (local.get $s${r}))))`).join('\n          ');
  const zeroS = [0, 1, 2, 3].map((r) => `(local.set $s${r} (v128.const i64x2 0 0))`).join(' ');
  const zeroA = [0, 1, 2, 3].map((r) => `(local.set $a${r} (v128.const i64x2 0 0))`).join(' ');
  const hsum = (r: number): string =>
    `(i32.add (i32.add (i32x4.extract_lane 0 (local.get $a${r})) (i32x4.extract_lane 1 (local.get $a${r}))) (i32.add (i32x4.extract_lane 2 (local.get $a${r})) (i32x4.extract_lane 3 (local.get $a${r}))))`;
  return `
  ;; One token row against four weight rows at a time; i16 partial sums are widened every 8 blocks
  ;; (8 blocks × 4 dots × |x · c| ≤ 2 · 128 · 2 stays below 2^15).
  (func $ternary_dots_rows (export "ternary_dots_rows")
    (param $w i32) (param $groups i32) (param $kb i32) (param $x i32) (param $T i32) (param $out i32) (param $g0 i32) (param $g1 i32)
    (local $g i32) (local $t i32) (local $b i32) (local $n i32) (local $wp i32) (local $xp i32) (local $o i32)
    (local $mask v128) (local $wv v128) (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $mask (i8x16.splat (i32.const 3)))
    (local.set $g (local.get $g0))
    (block $gdone (loop $gloop
      (br_if $gdone (i32.ge_u (local.get $g) (local.get $g1)))
      (local.set $t (i32.const 0))
      (block $tdone (loop $tloop
        (br_if $tdone (i32.ge_u (local.get $t) (local.get $T)))
        (local.set $wp (i32.add (local.get $w) (i32.mul (local.get $g) (i32.shl (local.get $kb) (i32.const 6)))))
        (local.set $xp (i32.add (local.get $x) (i32.mul (local.get $t) (i32.shl (local.get $kb) (i32.const 6)))))
        ${zeroA}
        (local.set $b (i32.const 0))
        (block $bdone (loop $bloop
          (br_if $bdone (i32.ge_u (local.get $b) (local.get $kb)))
          ${zeroS}
          (local.set $n (select (i32.const 8) (i32.sub (local.get $kb) (local.get $b)) (i32.le_u (i32.const 8) (i32.sub (local.get $kb) (local.get $b)))))
          (local.set $b (i32.add (local.get $b) (local.get $n)))
          (loop $inner
            (local.set $x0 (v128.load (local.get $xp)))
            (local.set $x1 (v128.load offset=16 (local.get $xp)))
            (local.set $x2 (v128.load offset=32 (local.get $xp)))
            (local.set $x3 (v128.load offset=48 (local.get $xp)))
            ${row(0)}
            ${row(1)}
            ${row(2)}
            ${row(3)}
            (local.set $wp (i32.add (local.get $wp) (i32.const 64)))
            (local.set $xp (i32.add (local.get $xp) (i32.const 64)))
            (local.set $n (i32.sub (local.get $n) (i32.const 1)))
            (br_if $inner (local.get $n)))
          ${widen}
          (br $bloop)))
        (local.set $o (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $t) (i32.shl (local.get $groups) (i32.const 2))) (i32.shl (local.get $g) (i32.const 2))) (i32.const 2))))
        (i32.store offset=0 (local.get $o) ${hsum(0)})
        (i32.store offset=4 (local.get $o) ${hsum(1)})
        (i32.store offset=8 (local.get $o) ${hsum(2)})
        (i32.store offset=12 (local.get $o) ${hsum(3)})
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $tloop)))
      (local.set $g (i32.add (local.get $g) (i32.const 1)))
      (br $gloop))))`;
}
