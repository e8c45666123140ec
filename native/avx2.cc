// The x86-64 kernels: AVX2 + FMA + F16C through per-function target attributes, so the addon itself is built
// for the baseline ISA and these run only where cpu.cc found all three. See simd.h for each function's contract.
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "simd.h"

namespace bitnet {

// ---- ternary × int8 (see ternary.cc for the layout and the i16 overflow bound) -----------------------------------

// How far ahead the streaming loops ask for their next cache lines. Measured on the development machine (one thread,
// 256 MiB of weights): both lines of each 128-byte step 2 KiB ahead took the GEMV from ~5 to ~8–10 GB/s, the
// speed of a plain read there; the hardware prefetcher alone does not keep up with a compute-heavy loop.
#ifndef BITNET_PREFETCH
#define BITNET_PREFETCH 2048
#endif
constexpr int kPrefetch = BITNET_PREFETCH;

__attribute__((target("avx2"))) static inline int32_t hsum(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  return _mm_cvtsi128_si32(s);
}

// One token: the four rows of a group share each chunk's activation loads; one sequential weight stream.
__attribute__((target("avx2"))) static void gemvGroupAvx2(int32_t* out4, const uint8_t* w, int64_t chunks, const int8_t* x) {
  const __m256i mask = _mm256_set1_epi8(3);
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i acc32[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256()};
  for (int64_t c0 = 0; c0 < chunks; c0 += 8) {
    const int64_t c1 = c0 + 8 < chunks ? c0 + 8 : chunks;
    __m256i acc16[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256()};
    for (int64_t c = c0; c < c1; c++) {
      const int8_t* xc = x + c * kChunk;
      const __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xc));
      const __m256i x1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xc + 32));
      const __m256i x2 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xc + 64));
      const __m256i x3 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xc + 96));
      const uint8_t* block = w + c * 128;
      _mm_prefetch(reinterpret_cast<const char*>(block + kPrefetch), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(block + kPrefetch + 64), _MM_HINT_T0);
      for (int r = 0; r < 4; r++) {
        const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + r * 32));
        __m256i p = _mm256_maddubs_epi16(_mm256_and_si256(b, mask), x0);
        p = _mm256_add_epi16(p, _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(b, 2), mask), x1));
        p = _mm256_add_epi16(p, _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(b, 4), mask), x2));
        p = _mm256_add_epi16(p, _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(b, 6), mask), x3));
        acc16[r] = _mm256_add_epi16(acc16[r], p);
      }
    }
    for (int r = 0; r < 4; r++) acc32[r] = _mm256_add_epi32(acc32[r], _mm256_madd_epi16(acc16[r], ones));
  }
  for (int r = 0; r < 4; r++) out4[r] = hsum(acc32[r]);
}

// NT tokens (1..kTile) against one row: the row's codes are unpacked once per chunk and reused by every token. NT is a
// template parameter so that the accumulators are registers, not an array in memory.
// Chunks [cs, ce) only; the sums are added to dots (the caller zeroes them before the first segment).
template <int NT>
__attribute__((target("avx2"))) static void gemmRowAvx2(int32_t* dots, int64_t dotStride, const uint8_t* row, int64_t cs, int64_t ce, const int8_t* q,
                                                        int64_t qStride) {
  const __m256i mask = _mm256_set1_epi8(3);
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i acc32[NT];
  for (int t = 0; t < NT; t++) acc32[t] = _mm256_setzero_si256();
  for (int64_t c0 = cs; c0 < ce; c0 += 8) {
    const int64_t c1 = c0 + 8 < ce ? c0 + 8 : ce;
    __m256i acc16[NT];
    for (int t = 0; t < NT; t++) acc16[t] = _mm256_setzero_si256();
    for (int64_t c = c0; c < c1; c++) {
      const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + c * 128));
      const __m256i k0 = _mm256_and_si256(b, mask);
      const __m256i k1 = _mm256_and_si256(_mm256_srli_epi16(b, 2), mask);
      const __m256i k2 = _mm256_and_si256(_mm256_srli_epi16(b, 4), mask);
      const __m256i k3 = _mm256_and_si256(_mm256_srli_epi16(b, 6), mask);
      const int8_t* xc = q + c * kChunk;
#pragma GCC unroll 8
      for (int t = 0; t < NT; t++) {
        const int8_t* x = xc + t * qStride;
        // Added one at a time: two temporaries, so that NT accumulators and four code vectors fit in 16 registers.
        __m256i a = _mm256_add_epi16(acc16[t], _mm256_maddubs_epi16(k0, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x))));
        a = _mm256_add_epi16(a, _mm256_maddubs_epi16(k1, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 32))));
        a = _mm256_add_epi16(a, _mm256_maddubs_epi16(k2, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 64))));
        acc16[t] = _mm256_add_epi16(a, _mm256_maddubs_epi16(k3, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 96))));
      }
    }
    for (int t = 0; t < NT; t++) acc32[t] = _mm256_add_epi32(acc32[t], _mm256_madd_epi16(acc16[t], ones));
  }
  for (int t = 0; t < NT; t++) dots[t * dotStride] += hsum(acc32[t]);
}

constexpr int kTile = 4;
using GemmRow = void (*)(int32_t*, int64_t, const uint8_t*, int64_t, int64_t, const int8_t*, int64_t);
static const GemmRow kGemmRow[5] = {nullptr, gemmRowAvx2<1>, gemmRowAvx2<2>, gemmRowAvx2<3>, gemmRowAvx2<4>};

// Cache blocking: tokens in blocks of kTokenBlock and columns in segments of kSegment chunks, so that a block's
// activations for one segment (8 · 32 · 128 bytes = 32 KiB) stay in L1 while every row group streams past; inside,
// tiles of up to kTile tokens per row. Measured on the development machine (Zen 4 class, one thread, T = 128, the
// 700M and 2B-4T matrix shapes): tiles of 8 spill accumulators to the stack (28 G weight·tokens/s), tiles of 4–7
// do not (~57); blocks of 8 tokens × 32 chunks beat 32 × 8 and 16 × 16 (60–86 against 48–59). The weights are then
// read once per 8 tokens — from L3 for every matrix of these shapes.
constexpr int64_t kTokenBlock = 8;
constexpr int64_t kSegment = 32;

__attribute__((target("avx2"))) static void gemmAvx2(int32_t* dots, int64_t dotStride, const uint8_t* w, int64_t chunks, const int8_t* q, int64_t qStride,
                                                     int64_t T, int64_t g0, int64_t g1) {
  for (int64_t t = 0; t < T; t++) std::fill(dots + t * dotStride, dots + t * dotStride + (g1 - g0) * 4, 0);
  for (int64_t tb = 0; tb < T; tb += kTokenBlock) {
    const int64_t te = tb + kTokenBlock < T ? tb + kTokenBlock : T;
    for (int64_t cs = 0; cs < chunks; cs += kSegment) {
      const int64_t ce = cs + kSegment < chunks ? cs + kSegment : chunks;
      for (int64_t g = g0; g < g1; g++) {
        for (int r = 0; r < 4; r++) {
          const uint8_t* row = w + g * chunks * 128 + r * 32;
          for (int64_t t = tb; t < te; t += kTile) {
            const int nt = static_cast<int>(te - t < kTile ? te - t : kTile);
            kGemmRow[nt](dots + t * dotStride + (g - g0) * 4 + r, dotStride, row, cs, ce, q + t * qStride, qStride);
          }
        }
      }
    }
  }
}

void ternaryDotsAvx2(int32_t* dots, int64_t dotStride, const uint8_t* w, int64_t chunks, const int8_t* q, int64_t qStride, int64_t T, int64_t g0, int64_t g1) {
  if (T == 1) {
    for (int64_t g = g0; g < g1; g++) gemvGroupAvx2(dots + (g - g0) * 4, w + g * chunks * 128, chunks, q);
    return;
  }
  gemmAvx2(dots, dotStride, w, chunks, q, qStride, T, g0, g1);
}

// ---- lm_head rows ----------------------------------------------------------------------------------------------------

__attribute__((target("avx2,fma,f16c"))) static inline __m256 load8(const void* table, int storage, int64_t at) {
  if (storage == kF16) return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(table) + at)));
  if (storage == kBf16) {
    const __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(table) + at)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(w, 16));
  }
  return _mm256_loadu_ps(static_cast<const float*>(table) + at);
}

__attribute__((target("avx2,fma,f16c"))) float tableRowDotAvx2(const void* table, int storage, int64_t base, const float* x, int64_t d) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
  int64_t i = 0;
  const char* bytes = static_cast<const char*>(table) + base * (storage == kF32 ? 4 : 2);
  const int64_t step = storage == kF32 ? 128 : 64;  // bytes per 32 elements
  for (; i + 32 <= d; i += 32) {
    const char* at = bytes + (i / 32) * step + kPrefetch;
    _mm_prefetch(at, _MM_HINT_T0);
    if (step == 128) _mm_prefetch(at + 64, _MM_HINT_T0);
    s0 = _mm256_fmadd_ps(load8(table, storage, base + i), _mm256_loadu_ps(x + i), s0);
    s1 = _mm256_fmadd_ps(load8(table, storage, base + i + 8), _mm256_loadu_ps(x + i + 8), s1);
    s2 = _mm256_fmadd_ps(load8(table, storage, base + i + 16), _mm256_loadu_ps(x + i + 16), s2);
    s3 = _mm256_fmadd_ps(load8(table, storage, base + i + 24), _mm256_loadu_ps(x + i + 24), s3);
  }
  for (; i + 8 <= d; i += 8) s0 = _mm256_fmadd_ps(load8(table, storage, base + i), _mm256_loadu_ps(x + i), s0);
  s0 = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(s0), _mm256_extractf128_ps(s0, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_movehdup_ps(h));
  float sum = _mm_cvtss_f32(h);
  for (; i < d; i++) sum += tableValue(table, storage, base + i) * x[i];
  return sum;
}

__attribute__((target("avx2"))) int32_t i8DotAvx2(const int8_t* a, const int8_t* b, int64_t n) {
  __m256i acc = _mm256_setzero_si256();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256i wa = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i)));
    const __m256i wb = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i)));
    acc = _mm256_add_epi32(acc, _mm256_madd_epi16(wa, wb));
  }
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  int32_t sum = _mm_cvtsi128_si32(s);
  for (; i < n; i++) sum += a[i] * b[i];
  return sum;
}

// ---- per-token int8 and RMSNorm rows (rows.cc has the portable forms and the contract) -----------------------------

__attribute__((target("avx2"))) static float absMaxAvx2(const float* x, int64_t K) {
  const __m256 signless = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  __m256 m = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= K; i += 8) m = _mm256_max_ps(m, _mm256_and_ps(_mm256_loadu_ps(x + i), signless));
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, m);
  float a = 0;
  for (float v : lanes) a = std::max(a, v);
  for (; i < K; i++) a = std::max(a, std::fabs(x[i]));
  return a;
}

// q = clamp(roundHalfEven(x · s)) with x · s in float64: _mm256_round_pd to nearest is IEEE round-half-to-even, the
// same integers as the portable loop's magic-number rounding.
__attribute__((target("avx2"))) void quantizeTokenRowAvx2(int8_t* q, int64_t qStride, double* s, int32_t* sums, const float* x, int64_t K) {
  const double scale = 127.0 / std::max(double(absMaxAvx2(x, K)), 1e-5);
  *s = scale;
  const __m256d vs = _mm256_set1_pd(scale), hi = _mm256_set1_pd(127), lo = _mm256_set1_pd(-128);
  __m256i sum = _mm256_setzero_si256();
  int64_t i = 0;
  for (; i + 8 <= K; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    const __m256d a = _mm256_round_pd(_mm256_mul_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)), vs), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m256d b = _mm256_round_pd(_mm256_mul_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)), vs), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m128i ia = _mm256_cvtpd_epi32(_mm256_max_pd(lo, _mm256_min_pd(hi, a)));
    const __m128i ib = _mm256_cvtpd_epi32(_mm256_max_pd(lo, _mm256_min_pd(hi, b)));
    const __m256i i32 = _mm256_set_m128i(ib, ia);
    sum = _mm256_add_epi32(sum, i32);
    const __m128i i16 = _mm_packs_epi32(ia, ib);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(q + i), _mm_packs_epi16(i16, i16));
  }
  int32_t total = hsum(sum);
  for (; i < K; i++) {
    double v = std::nearbyint(double(x[i]) * scale);
    v = v > 127 ? 127 : v < -128 ? -128 : v;
    q[i] = static_cast<int8_t>(v);
    total += q[i];
  }
  for (int64_t j = K; j < qStride; j++) q[j] = 0;
  *sums = total;
}

__attribute__((target("avx2,fma"))) void rmsnormRowAvx2(float* out, const float* x, const float* w, int64_t K, double eps) {
  __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
  int64_t i = 0;
  for (; i + 8 <= K; i += 8) {
    const __m256d a = _mm256_cvtps_pd(_mm_loadu_ps(x + i));
    const __m256d b = _mm256_cvtps_pd(_mm_loadu_ps(x + i + 4));
    s0 = _mm256_add_pd(s0, _mm256_mul_pd(a, a));
    s1 = _mm256_add_pd(s1, _mm256_mul_pd(b, b));
  }
  alignas(32) double lanes[4];
  _mm256_store_pd(lanes, _mm256_add_pd(s0, s1));
  double sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
  for (; i < K; i++) sum += double(x[i]) * x[i];
  const double rms = std::sqrt(sum / double(K) + eps);
  const __m256d vr = _mm256_set1_pd(rms);
  for (i = 0; i + 4 <= K; i += 4) {
    const __m256d v = _mm256_div_pd(_mm256_cvtps_pd(_mm_loadu_ps(x + i)), vr);
    _mm_storeu_ps(out + i, _mm256_cvtpd_ps(_mm256_mul_pd(v, _mm256_cvtps_pd(_mm_loadu_ps(w + i)))));
  }
  for (; i < K; i++) out[i] = static_cast<float>((double(x[i]) / rms) * double(w[i]));
}

// ---- SiLU gating ---------------------------------------------------------------------------------------------------

// e^x in float32 (Cephes' expf: x = n ln 2 + r with ln 2 split in two, a degree-5 polynomial for e^r, then 2^n
// through the exponent bits): within 2 ulp over [−87.3, 88.3]. Below, x is clamped (e^x < 2^-125 there: 1 + e^x
// rounds to 1 as it would); above, the result is +∞, as e^x overflows float32 from 88.73 on — so that g / (1 + e^−g)
// is −0 for very negative g, as in float64, instead of a tiny non-zero quotient.
__attribute__((target("avx2,fma"))) static inline __m256 expAvx2(__m256 input) {
  const __m256 x = _mm256_min_ps(_mm256_max_ps(input, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.3f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i pow2n = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  const __m256 e = _mm256_mul_ps(p, _mm256_castsi256_ps(pow2n));
  return _mm256_blendv_ps(e, _mm256_set1_ps(INFINITY), _mm256_cmp_ps(input, _mm256_set1_ps(88.3f), _CMP_GT_OQ));
}

// out = g / (1 + e^−g) · u in float32 (the portable loop uses float64; spec/tolerances.ts siluMul allows the
// difference: 186 float32 ulp, this is within a few).
__attribute__((target("avx2,fma"))) void siluMulAvx2(float* out, const float* gate, const float* up, int64_t i0, int64_t i1) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 sign = _mm256_set1_ps(-0.0f);
  int64_t i = i0;
  for (; i + 8 <= i1; i += 8) {
    const __m256 g = _mm256_loadu_ps(gate + i);
    const __m256 e = expAvx2(_mm256_xor_ps(g, sign));
    _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(one, e)), _mm256_loadu_ps(up + i)));
  }
  for (; i < i1; i++) {
    const double g = gate[i];
    out[i] = static_cast<float>(g / (1.0 + std::exp(-g)) * double(up[i]));
  }
}

// ---- float vectors (attention) -------------------------------------------------------------------------------------

__attribute__((target("avx2,fma"))) float dotF32Avx2(const float* a, const float* b, int64_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
  }
  for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
  s0 = _mm256_add_ps(s0, s1);
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(s0), _mm256_extractf128_ps(s0, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_movehdup_ps(h));
  float sum = _mm_cvtss_f32(h);
  for (; i < n; i++) sum += a[i] * b[i];
  return sum;
}

__attribute__((target("avx2,fma"))) void axpyF32Avx2(float* y, float a, const float* x, int64_t n) {
  const __m256 va = _mm256_set1_ps(a);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  for (; i < n; i++) y[i] += a * x[i];
}

}  // namespace bitnet
#endif
