/**
 * The ternary × int8 kernel as WebAssembly text (see kernels-wat.ts for the module and its exports): raw dots
 * D[t, j] = Σ_i x[t, i] · c[j, i] with codes c = t + 1 ∈ {0, 1, 2} over the 4-row interleaved layout
 * (src/backends/wasm/layout.ts). The caller subtracts Σ_i x[t, i] to get Σ x · t. Exact.
 *
 * Two paths: one token against the four rows of a group (decode, and a token left over), and, for T ≥ 2, the group's
 * codes unpacked once into a per-thread `scratch` of kb · 256 bytes and then read for token pairs, so the code
 * extraction is paid once per group instead of once per token (1.33–1.43× on 128-token prefill products; a
 * register-only tile of 2 rows × 4 tokens reached 1.2×). What limits both on x64 V8 (measured, Node 20, Zen 3): every
 * vector instruction counts, loads and stores included, and only 15 XMM registers are free (V8 keeps xmm15 as
 * scratch), so a spilled accumulator costs more than its load and store; TurboFan also hoists every load of a loop
 * body to its top, so a body that needs more registers than that must pin its loads with stores. Decode also reads
 * its weights once from DRAM, where one sequential stream per thread falls short of what two streams get.
 *
 * ternary_dots_rows(w, groups, kb, x, T, out, scratch, g0, g1): rows groups [g0, g1).
 */

/** i16x8 sum of pairwise products of an int8 vector with a code vector (0..2, or 0..8 for codes kept at scale 4). */
function dot(relaxed: boolean, a: string, b: string): string {
  if (relaxed) return `(i16x8.relaxed_dot_i8x16_i7x16_s ${a} ${b})`;
  return `(i16x8.add (i16x8.extmul_low_i8x16_s ${a} ${b}) (i16x8.extmul_high_i8x16_s ${a} ${b}))`;
}

const range = (n: number): number[] => [...Array(n).keys()];
const get = (name: string): string => `(local.get $${name})`;
const add16 = (a: string, b: string): string => `(i16x8.add ${a} ${b})`;
const zero = (names: string[]): string => names.map((v) => `(local.set $${v} (v128.const i64x2 0 0))`).join(' ');
/** Widen i16 sums into i32 ones; callers do it at least every 8 blocks (8 × 4 dots × 2 · 128 · 2 < 2^15). */
const widen = (n: number): string =>
  range(n)
    .map((i) => `(local.set $a${i} (i32x4.add (local.get $a${i}) (i32x4.extadd_pairwise_i16x8_s (local.get $s${i}))))`)
    .join(' ');
const hsum = (v: string): string =>
  `(i32.add (i32.add (i32x4.extract_lane 0 ${v}) (i32x4.extract_lane 1 ${v})) (i32.add (i32x4.extract_lane 2 ${v}) (i32x4.extract_lane 3 ${v})))`;
/** Codes j of a weight vector: 16-bit shifts, since x64 has no 8-bit vector shift; the mask drops what crosses over. */
const codes = (w: string, j: number): string =>
  j === 0 ? `(v128.and ${w} (local.get $mask))` : `(v128.and (i16x8.shr_u ${w} (i32.const ${2 * j})) (local.get $mask))`;
/** Address of out[t + u, 4g + r] for a constant u and an i32 expression r. */
const outAt = (u: number, r: string): string =>
  `(i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.add (local.get $t) (i32.const ${u})) (i32.shl (local.get $groups) (i32.const 2))) (i32.add (i32.shl (local.get $g) (i32.const 2)) ${r})) (i32.const 2)))`;

export function ternaryDotsWat(relaxed: boolean): string {
  const d = (a: string, b: string): string => dot(relaxed, a, b);

  // One token. The codes come out of a weight vector w at two scales in five ops, c0 = w & 3, c2 = (w >> 4) & 3,
  // 4·c1 = w & 12 and 4·c3 = (w >> 4) & 12 (all valid 7-bit operands; w & 0xC0 is not, hence the one shift), where
  // all four at scale 1 took seven (three shifts). Each row folds its scale-4 pair back with one exact i16x8.shr_s per
  // block: a second accumulator per row would save it, but 8 of them next to x0..x3 and both masks spill (slower).
  // A row gains at most 4 · 2 · 128 · 2 = 2048 per lane and block, so the i16 sums are widened every 16 blocks (they
  // wrap, so only the total has to fit). The stores after rows 0-2 only order the loads (they go to out[t, 4g..],
  // written for real at the end): without them TurboFan hoists all four weight loads and spills, 3-5% slower.
  const row = (r: number): string => {
    const w = `(v128.load offset=${16 * r} (local.get $wp))`;
    const lo = add16(
      d(get('x0'), `(v128.and (local.tee $wv ${w}) (local.get $mask))`),
      d(get('x2'), `(v128.and (local.tee $wu (i16x8.shr_u (local.get $wv) (i32.const 4))) (local.get $mask))`),
    );
    const hi = add16(
      d(get('x1'), `(v128.and (local.get $wv) (local.get $mask4))`),
      d(get('x3'), `(v128.and (local.get $wu) (local.get $mask4))`),
    );
    const sum = `(local.set $s${r} ${add16(add16(get(`s${r}`), lo), `(i16x8.shr_s ${hi} (i32.const 2))`)})`;
    return r < 3 ? `${sum} (v128.store (local.get $o) (local.get $s${r}))` : sum;
  };
  /** $m blocks (1..16) of the group at $<wpl> against x at $xc into a<a>..a<a + 3>; advances $<wpl>. */
  const chunk = (wpl: string, a: number): string => `
            ${zero(range(4).map((i) => `s${i}`))}
            (local.set $wp (local.get $${wpl}))
            (local.set $xp (local.get $xc))
            (local.set $n (local.get $m))
            (loop $inner
              ${range(4).map((j) => `(local.set $x${j} (v128.load offset=${16 * j} (local.get $xp)))`).join(' ')}
              ${range(4).map(row).join('\n              ')}
              (local.set $wp (i32.add (local.get $wp) (i32.const 64)))
              (local.set $xp (i32.add (local.get $xp) (i32.const 64)))
              (br_if $inner (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
            (local.set $${wpl} (local.get $wp))
            ${range(4).map((i) => `(local.set $a${a + i} (i32x4.add (local.get $a${a + i}) (i32x4.extadd_pairwise_i16x8_s (local.get $s${i}))))`).join(' ')}`;
  const nextChunk = `
          (local.set $m (select (i32.const 16) (local.get $b) (i32.ge_u (local.get $b) (i32.const 16))))
          (local.set $b (i32.sub (local.get $b) (local.get $m)))`;
  const store4 = (a: number): string =>
    range(4).map((r) => `(i32.store offset=${4 * r} (local.get $o) ${hsum(get(`a${a + r}`))})`).join(' ');

  // T = 1 (decode): groups g and g + half of [g0, g1) in lockstep, 16 blocks (1 KiB) of each in turn, so that each
  // thread keeps two weight streams in flight: 1.1-1.2x over one stream from DRAM with one thread, less and noisier
  // with two; three or four streams, group-sized turns or 512-byte turns were slower.
  const decode = `
      (local.set $mask4 (i8x16.splat (i32.const 12)))
      (local.set $half (i32.shr_u (i32.add (i32.sub (local.get $g1) (local.get $g0)) (i32.const 1)) (i32.const 1)))
      (local.set $g (local.get $g0))
      (block $ddone (loop $dloop
        (br_if $ddone (i32.ge_u (local.get $g) (i32.add (local.get $g0) (local.get $half))))
        (local.set $g2 (i32.add (local.get $g) (local.get $half)))
        (local.set $wp0 (i32.add (local.get $w) (i32.mul (local.get $g) (local.get $stride))))
        (local.set $wp1 (i32.add (local.get $w) (i32.mul (local.get $g2) (local.get $stride))))
        (local.set $xc (local.get $x))
        (local.set $o (i32.add (local.get $out) (i32.shl (local.get $g) (i32.const 4))))
        ${zero(range(8).map((i) => `a${i}`))}
        (local.set $b (local.get $kb))
        (block $bdone (loop $bloop
          (br_if $bdone (i32.eqz (local.get $b)))
          ${nextChunk}
          ${chunk('wp0', 0)}
          (if (i32.lt_u (local.get $g2) (local.get $g1)) (then ${chunk('wp1', 4)}))
          (local.set $xc (i32.add (local.get $xc) (i32.shl (local.get $m) (i32.const 6))))
          (br $bloop)))
        ${store4(0)}
        (if (i32.lt_u (local.get $g2) (local.get $g1)) (then
          (local.set $o (i32.add (local.get $out) (i32.shl (local.get $g2) (i32.const 4))))
          ${store4(4)}))
        (local.set $g (i32.add (local.get $g) (i32.const 1)))
        (br $dloop)))`;

  // A token left over by the token pairs (odd T ≥ 3): the same blocks, one stream.
  const single = `
        (block $sdone (loop $sloop
          (br_if $sdone (i32.ge_u (local.get $t) (local.get $T)))
          (local.set $mask4 (i8x16.splat (i32.const 12)))
          (local.set $wp0 (i32.add (local.get $w) (i32.mul (local.get $g) (local.get $stride))))
          (local.set $xc (i32.add (local.get $x) (i32.mul (local.get $t) (local.get $stride))))
          (local.set $o ${outAt(0, '(i32.const 0)')})
          ${zero(range(4).map((i) => `a${i}`))}
          (local.set $b (local.get $kb))
          (block $bdone (loop $bloop
            (br_if $bdone (i32.eqz (local.get $b)))
            ${nextChunk}
            ${chunk('wp0', 0)}
            (local.set $xc (i32.add (local.get $xc) (i32.shl (local.get $m) (i32.const 6))))
            (br $bloop)))
          ${store4(0)}
          (local.set $t (i32.add (local.get $t) (i32.const 1)))
          (br $sloop)))`;

  // Prefill (T >= 2): the group's codes are unpacked once into `scratch` ([block][j][row], 16 bytes each, kb * 256
  // bytes), then token pairs run a loop over (block, j) steps: 4 code loads + 2 x loads feed 8 dots. The step body is
  // small enough that TurboFan's habit of hoisting all loads of a loop body does not spill, so no ordering stores.
  const unpack = `
        (local.set $wp (i32.add (local.get $w) (i32.mul (local.get $g) (local.get $stride))))
        (local.set $cp (local.get $scratch))
        (local.set $b (local.get $kb))
        (block $udone (loop $uloop
          (br_if $udone (i32.eqz (local.get $b)))
          ${range(4).map((r) => `(local.set $wv (v128.load offset=${16 * r} (local.get $wp)))
          ${range(4).map((j) => `(v128.store offset=${64 * j + 16 * r} (local.get $cp) ${codes(get('wv'), j)})`).join(' ')}`).join('\n          ')}
          (local.set $wp (i32.add (local.get $wp) (i32.const 64)))
          (local.set $cp (i32.add (local.get $cp) (i32.const 256)))
          (local.set $b (i32.sub (local.get $b) (i32.const 1)))
          (br $uloop)))`;
  const A = (r: number, u: number): number => 2 * r + u;
  const tiles = `
        (if (i32.ge_u (local.get $T) (i32.const 2)) (then ${unpack}))
        (block $tdone (loop $tloop
          (br_if $tdone (i32.lt_u (i32.sub (local.get $T) (local.get $t)) (i32.const 2)))
          (local.set $xp (i32.add (local.get $x) (i32.mul (local.get $t) (local.get $stride))))
          (local.set $cp (local.get $scratch))
          ${zero(range(8).map((i) => `a${i}`))}
          (local.set $b (i32.shl (local.get $kb) (i32.const 2)))
          (block $bdone (loop $bloop
            (br_if $bdone (i32.eqz (local.get $b)))
            ${zero(range(8).map((i) => `s${i}`))}
            (local.set $n (select (i32.const 32) (local.get $b) (i32.ge_u (local.get $b) (i32.const 32))))
            (local.set $b (i32.sub (local.get $b) (local.get $n)))
            (loop $inner
              (local.set $x0 (v128.load (local.get $xp))) (local.set $x1 (v128.load (i32.add (local.get $xp) (local.get $stride))))
              ${range(4).map((r) => `(local.set $wv (v128.load offset=${16 * r} (local.get $cp)))
              ${range(2).map((u) => `(local.set $s${A(r, u)} ${add16(get(`s${A(r, u)}`), d(get(`x${u}`), get('wv')))})`).join(' ')}`).join('\n              ')}
              (local.set $cp (i32.add (local.get $cp) (i32.const 64)))
              (local.set $xp (i32.add (local.get $xp) (i32.const 16)))
              (br_if $inner (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
            ${widen(8)}
            (br $bloop)))
          ${range(2).map((u) => `(local.set $o ${outAt(u, '(i32.const 0)')})
          ${range(4).map((r) => `(i32.store offset=${4 * r} (local.get $o) ${hsum(get(`a${A(r, u)}`))})`).join(' ')}`).join('\n          ')}
          (local.set $t (i32.add (local.get $t) (i32.const 2)))
          (br $tloop)))`;

  const vlocals = ['mask', 'mask4', 'wv', 'wu', ...range(4).map((i) => `x${i}`), ...range(8).flatMap((i) => [`s${i}`, `a${i}`])];
  return `
  (func $ternary_dots_rows (export "ternary_dots_rows")
    (param $w i32) (param $groups i32) (param $kb i32) (param $x i32) (param $T i32) (param $out i32) (param $scratch i32) (param $g0 i32) (param $g1 i32)
    (local $g i32) (local $t i32) (local $b i32) (local $n i32) (local $m i32) (local $half i32) (local $g2 i32)
    (local $wp i32) (local $xp i32) (local $cp i32) (local $o i32) (local $stride i32) (local $wp0 i32) (local $wp1 i32) (local $xc i32)
    ${vlocals.map((v) => `(local $${v} v128)`).join(' ')}
    (local.set $mask (i8x16.splat (i32.const 3)))
    (local.set $stride (i32.shl (local.get $kb) (i32.const 6)))
    (if (i32.eq (local.get $T) (i32.const 1)) (then ${decode} (return)))
    (local.set $g (local.get $g0))
    (block $gdone (loop $gloop
      (br_if $gdone (i32.ge_u (local.get $g) (local.get $g1)))
      (local.set $t (i32.const 0))
      ${tiles}
      ${single}
      (local.set $g (i32.add (local.get $g) (i32.const 1)))
      (br $gloop))))`;
}
