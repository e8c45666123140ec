/**
 * The WASM SIMD kernels, as WebAssembly text generated here and assembled at build time (scripts/build-wasm.mjs,
 * with the `wabt` package) into two modules: one using relaxed SIMD's i16x8.relaxed_dot_i8x16_i7x16_s (the fastest
 * ternary dot product measured in Node 20, ../shared reference wasm-kernels.md), one using only baseline 128-bit
 * SIMD for engines without relaxed SIMD. Both compute the same exact integers.
 *
 * Why hand-written WAT and not AssemblyScript: the kernels are a few loops whose speed is decided instruction by
 * instruction (which dot form, shuffles V8 lowers well, when to widen accumulators); generating the text from
 * TypeScript keeps them readable and lets both variants share one source (docs/backends.md).
 *
 * Exports, all over one shared linear memory (imported as env.memory):
 * - ternary_dots(w, groups, kblocks, x, T, out): raw dots D[t, j] = Σ_i x[t, i] · c[j, i] with codes c = t + 1 ∈ {0,1,2},
 *   for rows in groups of four (layout: wasm-layout.ts), int8 activations x [T, kblocks · 64] (zero-padded), int32
 *   out [T, groups · 4]. The caller subtracts Σ_i x[t, i] to get Σ x · t. Exact.
 * - ternary_dots_rows(…, g0, g1): the same over groups [g0, g1) only, so threads can split the rows.
 * - lm_head(table, V, d, x, T, out, v0, v1): out[t, v] = Σ_i table[v, i] · x[t, i] in float32 (4 × 4 lanes), for
 *   rows v in [v0, v1); table f32 [V, d], x f32 [T, d], out f32 [T, V].
 */

/** i16x8 sum of pairwise products of an int8 vector with a 0..2 code vector. */
function dot(relaxed: boolean, a: string, b: string): string {
  if (relaxed) return `(i16x8.relaxed_dot_i8x16_i7x16_s ${a} ${b})`;
  return `(i16x8.add (i16x8.extmul_low_i8x16_s ${a} ${b}) (i16x8.extmul_high_i8x16_s ${a} ${b}))`;
}

function ternaryDots(relaxed: boolean): string {
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

const LM_HEAD = `
  ;; Each table row is read once for all T tokens; two f32x4 accumulators per token pair.
  (func $lm_head (export "lm_head")
    (param $table i32) (param $V i32) (param $d i32) (param $x i32) (param $T i32) (param $out i32) (param $v0 i32) (param $v1 i32)
    (local $v i32) (local $t i32) (local $i i32) (local $rp i32) (local $xp i32) (local $acc v128) (local $acc2 v128) (local $tail f32)
    (local.set $v (local.get $v0))
    (block $vdone (loop $vloop
      (br_if $vdone (i32.ge_u (local.get $v) (local.get $v1)))
      (local.set $t (i32.const 0))
      (block $tdone (loop $tloop
        (br_if $tdone (i32.ge_u (local.get $t) (local.get $T)))
        (local.set $rp (i32.add (local.get $table) (i32.shl (i32.mul (local.get $v) (local.get $d)) (i32.const 2))))
        (local.set $xp (i32.add (local.get $x) (i32.shl (i32.mul (local.get $t) (local.get $d)) (i32.const 2))))
        (local.set $acc (v128.const i64x2 0 0))
        (local.set $acc2 (v128.const i64x2 0 0))
        (local.set $i (i32.const 0))
        (block $idone (loop $iloop
          (br_if $idone (i32.gt_u (i32.add (local.get $i) (i32.const 8)) (local.get $d)))
          (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (local.get $rp)) (v128.load (local.get $xp)))))
          (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul (v128.load offset=16 (local.get $rp)) (v128.load offset=16 (local.get $xp)))))
          (local.set $rp (i32.add (local.get $rp) (i32.const 32)))
          (local.set $xp (i32.add (local.get $xp) (i32.const 32)))
          (local.set $i (i32.add (local.get $i) (i32.const 8)))
          (br $iloop)))
        (block $jdone (loop $jloop
          (br_if $jdone (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $d)))
          (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (local.get $rp)) (v128.load (local.get $xp)))))
          (local.set $rp (i32.add (local.get $rp) (i32.const 16)))
          (local.set $xp (i32.add (local.get $xp) (i32.const 16)))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br $jloop)))
        (local.set $tail (f32.const 0))
        (block $kdone (loop $kloop
          (br_if $kdone (i32.ge_u (local.get $i) (local.get $d)))
          (local.set $tail (f32.add (local.get $tail) (f32.mul (f32.load (local.get $rp)) (f32.load (local.get $xp)))))
          (local.set $rp (i32.add (local.get $rp) (i32.const 4)))
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

/** The whole module's text; `relaxed` chooses the dot-product instruction. */
export function kernelsWat(relaxed: boolean): string {
  return `(module
  (import "env" "memory" (memory 1 65536 shared))
  ${ternaryDots(relaxed)}
  ${LM_HEAD}
)`;
}
