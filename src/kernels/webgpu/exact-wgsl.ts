/**
 * WGSL helpers that make float32 shaders decide roundings exactly as the float64 reference does. WGSL's division
 * may be off by 2.5 ULP and there is no float64, so these work on the integer mantissas:
 * - `divRne(a, b)`: a / b correctly rounded to float32 (half to even), by long division of the mantissas;
 * - `roundScaledExact(ax, sHi, sLo, sE)`: roundHalfEven(fl64(ax · s)) for float32 ax ≥ 0 and a float64
 *   s = (sHi · 2^32 + sLo) · 2^sE, the product rounded to 53 bits as float64 would, then to an integer;
 * - `scaleMantissa(m)`: the 53-bit mantissa and exponent of fl64(127 / m) for float32 m > 0 (normal).
 * 64-bit integers are vec2<u32>(hi, lo).
 */
export const EXACT_WGSL = /* wgsl */ `
// |x| = m · 2^e with m in [2^23, 2^24) for every finite non-zero x, subnormals included.
fn decomposeF32(x: f32) -> vec2<i32> {
  let bits = bitcast<u32>(abs(x));
  let ebits = i32(bits >> 23u);
  if (ebits == 0) {
    let frac = bits & 0x7fffffu;
    let shift = countLeadingZeros(frac) - 8u;
    return vec2<i32>(i32(frac << shift), -149 - i32(shift));
  }
  return vec2<i32>(i32((bits & 0x7fffffu) | 0x800000u), ebits - 150);
}

fn divRne(a: f32, b: f32) -> f32 {
  if (a == 0.0) { return 0.0; }
  let A = decomposeF32(a);
  let B = decomposeF32(b);
  var n = u32(A.x);
  let d = u32(B.x);
  var e = A.y - B.y;
  if (n < d) { n = n << 1u; e = e - 1; }
  // n / d in [1, 2): 25 quotient bits = 24 significant + 1 guard; the remainder is the sticky bit.
  var q = 0u;
  var rem = n;
  for (var i = 0; i < 25; i++) {
    q = q << 1u;
    if (rem >= d) { rem = rem - d; q = q | 1u; }
    rem = rem << 1u;
  }
  var m = q >> 1u;
  if ((q & 1u) == 1u && (rem != 0u || (m & 1u) == 1u)) { m = m + 1u; }
  let r = ldexp(f32(m), e - 23);
  return select(r, -r, (a < 0.0) != (b < 0.0));
}

fn shr64(x: vec2<u32>, n: u32) -> vec2<u32> {
  if (n == 0u) { return x; }
  if (n >= 64u) { return vec2<u32>(0u, 0u); }
  if (n >= 32u) { return vec2<u32>(0u, x.x >> (n - 32u)); }
  return vec2<u32>(x.x >> n, (x.y >> n) | (x.x << (32u - n)));
}
fn bit64(x: vec2<u32>, k: u32) -> u32 {
  if (k >= 32u) { return (x.x >> (k - 32u)) & 1u; }
  return (x.y >> k) & 1u;
}
// Whether any of bits [0, k) is set.
fn below64(x: vec2<u32>, k: u32) -> bool {
  if (k == 0u) { return false; }
  if (k >= 64u) { return x.x != 0u || x.y != 0u; }
  if (k > 32u) { return x.y != 0u || (x.x & ((1u << (k - 32u)) - 1u)) != 0u; }
  if (k == 32u) { return x.y != 0u; }
  return (x.y & ((1u << k) - 1u)) != 0u;
}
fn add64(x: vec2<u32>, v: u32) -> vec2<u32> {
  let lo = x.y + v;
  return vec2<u32>(x.x + select(0u, 1u, lo < x.y), lo);
}

// fl64(127 / m) = (hi · 2^32 + lo) · 2^e for normal float32 m > 0: long division of 127 · 2^L by m's mantissa,
// L chosen so that the quotient has 53 bits (127's seven bits are all ones, so the dividend's bits are known).
fn scaleMantissa(m: f32) -> vec3<i32> {
  let B = decomposeF32(m);
  let b = u32(B.x);
  let L = select(70u, 69u, b <= 16646144u); // 127 · 2^17
  var q = vec2<u32>(0u, 0u);
  var rem = 0u;
  for (var i = i32(L) + 6; i >= 0; i--) {
    rem = (rem << 1u) | select(0u, 1u, i >= i32(L));
    q = vec2<u32>((q.x << 1u) | (q.y >> 31u), q.y << 1u);
    if (rem >= b) { rem = rem - b; q.y = q.y | 1u; }
  }
  var e = -i32(L) - B.y;
  if (2u * rem > b || (2u * rem == b && (q.y & 1u) == 1u)) {
    q = add64(q, 1u);
    if (q.x == 0x200000u && q.y == 0u) { q = vec2<u32>(0x100000u, 0u); e = e + 1; }
  }
  return vec3<i32>(i32(q.x), i32(q.y), e);
}

// roundHalfEven(fl64(ax · s)), ax ≥ 0 float32, s = (sHi · 2^32 + sLo) · 2^sE a float64 (sHi < 2^21).
fn roundScaledExact(ax: f32, sHi: u32, sLo: u32, sE: i32) -> u32 {
  if (ax == 0.0) { return 0u; }
  let A = decomposeF32(ax);
  let a = u32(A.x);
  // The 77-bit product in 16-bit limbs.
  let al = array<u32, 2>(a & 0xffffu, a >> 16u);
  let sl = array<u32, 4>(sLo & 0xffffu, sLo >> 16u, sHi & 0xffffu, sHi >> 16u);
  var p = array<u32, 7>(0u, 0u, 0u, 0u, 0u, 0u, 0u);
  for (var i = 0; i < 2; i++) {
    for (var j = 0; j < 4; j++) {
      let prod = al[i] * sl[j];
      p[i + j] += prod & 0xffffu;
      p[i + j + 1] += prod >> 16u;
    }
  }
  for (var k = 0; k < 6; k++) { p[k + 1] += p[k] >> 16u; p[k] = p[k] & 0xffffu; }
  var len = 0u;
  for (var k = 6; k >= 0; k--) {
    if (p[k] != 0u) { len = u32(k) * 16u + 32u - countLeadingZeros(p[k]); break; }
  }
  // Round to 53 bits: keep the top 53, guard = the next bit, sticky = any lower bit.
  var drop = 0u;
  if (len > 53u) { drop = len - 53u; }
  var keep = vec2<u32>(0u, 0u);
  var guard = 0u;
  var sticky = false;
  for (var k = i32(len) - 1; k >= 0; k--) {
    let bit = (p[k / 16] >> u32(k % 16)) & 1u;
    if (u32(k) >= drop) {
      keep = vec2<u32>((keep.x << 1u) | (keep.y >> 31u), (keep.y << 1u) | bit);
    } else if (u32(k) == drop - 1u) {
      guard = bit;
    } else if (bit == 1u) {
      sticky = true;
    }
  }
  if (guard == 1u && (sticky || (keep.y & 1u) == 1u)) { keep = add64(keep, 1u); }
  // The product is keep · 2^E; round it half to even to an integer.
  let E = A.y + sE + i32(drop);
  if (E >= 0) { return keep.y << u32(E); } // not reached for |x| ≤ max|x| (the value is below 128)
  let sh = u32(-E);
  if (sh >= 60u) { return 0u; }
  let whole = shr64(keep, sh).y;
  let half = bit64(keep, sh - 1u);
  if (half == 1u && (below64(keep, sh - 1u) || (whole & 1u) == 1u)) { return whole + 1u; }
  return whole;
}
`;
