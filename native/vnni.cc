// The x86-64 ternary kernels for CPUs with a VNNI dot product: AVX-VNNI (256-bit, VEX) and AVX-512 VNNI (EVEX,
// 512-bit for the decode GEMV). Same contract and layout as ternaryDotsAvx2 (simd.h, ternary.cc); cpu.cc picks
// these where cpuid (and the OS's saved register state) says so.
//
// No development or CI machine of this project has these instructions and QEMU's TCG does not emulate them, so
// native/check/kernel-check.cc is also built with BITNET_EMULATE_VNNI: this file then includes SIMDe (Debian's
// libsimde-dev), whose portable implementations of the same intrinsics run anywhere, and the check compares these
// kernels with the scalar ones bit for bit (test/backends/native-arm64.test.ts). That checks the lane arithmetic
// written here; the instruction encodings are the compiler's.
#if defined(__x86_64__) || defined(__i386__)

#if defined(BITNET_EMULATE_VNNI)
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/x86/avx512.h>
#define _mm256_dpbusd_avx_epi32(acc, a, b) simde_mm256_dpbusd_epi32(acc, a, b)
#define BITNET_VNNI 1
#define TARGET_AVX2
#define TARGET_AVXVNNI
#define TARGET_AVX512VNNI
#elif (defined(__clang__) && __clang_major__ >= 12) || (!defined(__clang__) && defined(__GNUC__) && __GNUC__ >= 11)
#if !defined(__clang__)
// GCC 12's AVX-512 headers start some intrinsics from a deliberately undefined vector, which -Wall reports at every
// call site (a known false positive); nothing of ours is uninitialised.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#define BITNET_VNNI 1
#define TARGET_AVX2 __attribute__((target("avx2")))
#define TARGET_AVXVNNI __attribute__((target("avx2,avxvnni")))
#define TARGET_AVX512VNNI __attribute__((target("avx2,avx512f,avx512bw,avx512vl,avx512vnni")))
#endif

#include <algorithm>
#include <cstdint>

#include "simd.h"

namespace bitnet {

#if defined(BITNET_VNNI)

constexpr int kVnniPrefetch = 2048;   // as avx2.cc's measured distance
constexpr int kVnniTile = 4;          // tokens per row pass in the prefill GEMM
constexpr int64_t kVnniTokenBlock = 8;
constexpr int64_t kVnniSegment = 32;

TARGET_AVX2 static inline int32_t vnniHsum(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  return _mm_cvtsi128_si32(s);
}

#define VNNI_TARGET TARGET_AVXVNNI
#define VNNI_DPBUSD(acc, a, b) _mm256_dpbusd_avx_epi32(acc, a, b)
#define VNNI_NAME(x) x##AvxVnni
#include "vnni-dots.inc"
#undef VNNI_TARGET
#undef VNNI_DPBUSD
#undef VNNI_NAME

#define VNNI_TARGET TARGET_AVX512VNNI
#define VNNI_DPBUSD(acc, a, b) _mm256_dpbusd_epi32(acc, a, b)
#define VNNI_NAME(x) x##Avx512
#include "vnni-dots.inc"
#undef VNNI_TARGET
#undef VNNI_DPBUSD
#undef VNNI_NAME

// Decode with 512-bit registers: one load covers two rows' 32 bytes of a chunk (rows 0–1, then 2–3), and each 32-byte
// activation piece is broadcast to both halves, so a chunk of a 4-row group is 2 loads and 8 dot instructions. Two
// accumulators per row pair (even and odd code planes) keep two dependency chains in flight.
TARGET_AVX512VNNI static void gemvGroupAvx512Wide(int32_t* out4, const uint8_t* w, int64_t chunks, const int8_t* x) {
  const __m512i mask = _mm512_set1_epi8(3);
  __m512i lo0 = _mm512_setzero_si512(), lo1 = _mm512_setzero_si512();  // rows 0 (low half) and 1 (high half)
  __m512i hi0 = _mm512_setzero_si512(), hi1 = _mm512_setzero_si512();  // rows 2 and 3
  for (int64_t c = 0; c < chunks; c++) {
    const int8_t* xc = x + c * kChunk;
    const __m512i x0 = _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(xc)));
    const __m512i x1 = _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(xc + 32)));
    const __m512i x2 = _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(xc + 64)));
    const __m512i x3 = _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(xc + 96)));
    const uint8_t* block = w + c * 128;
    __builtin_prefetch(block + kVnniPrefetch);
    __builtin_prefetch(block + kVnniPrefetch + 64);
    const __m512i b01 = _mm512_loadu_si512(block);
    const __m512i b23 = _mm512_loadu_si512(block + 64);
    lo0 = _mm512_dpbusd_epi32(lo0, _mm512_and_si512(b01, mask), x0);
    lo1 = _mm512_dpbusd_epi32(lo1, _mm512_and_si512(_mm512_srli_epi16(b01, 2), mask), x1);
    lo0 = _mm512_dpbusd_epi32(lo0, _mm512_and_si512(_mm512_srli_epi16(b01, 4), mask), x2);
    lo1 = _mm512_dpbusd_epi32(lo1, _mm512_and_si512(_mm512_srli_epi16(b01, 6), mask), x3);
    hi0 = _mm512_dpbusd_epi32(hi0, _mm512_and_si512(b23, mask), x0);
    hi1 = _mm512_dpbusd_epi32(hi1, _mm512_and_si512(_mm512_srli_epi16(b23, 2), mask), x1);
    hi0 = _mm512_dpbusd_epi32(hi0, _mm512_and_si512(_mm512_srli_epi16(b23, 4), mask), x2);
    hi1 = _mm512_dpbusd_epi32(hi1, _mm512_and_si512(_mm512_srli_epi16(b23, 6), mask), x3);
  }
  const __m512i lo = _mm512_add_epi32(lo0, lo1), hi = _mm512_add_epi32(hi0, hi1);
  out4[0] = vnniHsum(_mm512_castsi512_si256(lo));
  out4[1] = vnniHsum(_mm512_extracti64x4_epi64(lo, 1));
  out4[2] = vnniHsum(_mm512_castsi512_si256(hi));
  out4[3] = vnniHsum(_mm512_extracti64x4_epi64(hi, 1));
}

using GroupGemv = void (*)(int32_t*, const uint8_t*, int64_t, const int8_t*);
using Gemm = void (*)(int32_t*, int64_t, const uint8_t*, int64_t, const int8_t*, int64_t, int64_t, int64_t, int64_t);

// Decode (one token) group by group through `gemv`; prefill through the cache-blocked `gemm`.
static void ternaryDotsWith(GroupGemv gemv, Gemm gemm, int32_t* dots, int64_t dotStride, const uint8_t* w, int64_t chunks, const int8_t* q,
                            int64_t qStride, int64_t T, int64_t g0, int64_t g1) {
  if (T > 1) return gemm(dots, dotStride, w, chunks, q, qStride, T, g0, g1);
  for (int64_t g = g0; g < g1; g++) gemv(dots + (g - g0) * 4, w + g * chunks * 128, chunks, q);
}

void ternaryDotsAvxVnni(int32_t* dots, int64_t dotStride, const uint8_t* w, int64_t chunks, const int8_t* q, int64_t qStride, int64_t T, int64_t g0,
                        int64_t g1) {
  ternaryDotsWith(gemvGroupAvxVnni, gemmAvxVnni, dots, dotStride, w, chunks, q, qStride, T, g0, g1);
}

void ternaryDotsAvx512Vnni(int32_t* dots, int64_t dotStride, const uint8_t* w, int64_t chunks, const int8_t* q, int64_t qStride, int64_t T, int64_t g0,
                           int64_t g1) {
  ternaryDotsWith(gemvGroupAvx512Wide, gemmAvx512, dots, dotStride, w, chunks, q, qStride, T, g0, g1);
}

#else  // a compiler without the VNNI intrinsics: cpu.cc never selects these

void ternaryDotsAvxVnni(int32_t*, int64_t, const uint8_t*, int64_t, const int8_t*, int64_t, int64_t, int64_t, int64_t) { __builtin_trap(); }
void ternaryDotsAvx512Vnni(int32_t*, int64_t, const uint8_t*, int64_t, const int8_t*, int64_t, int64_t, int64_t, int64_t) { __builtin_trap(); }

#endif

bool vnniCompiled() {
#if defined(BITNET_VNNI)
  return true;
#else
  return false;
#endif
}

}  // namespace bitnet

#endif
