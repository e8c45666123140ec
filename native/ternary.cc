// Ternary × int8 code dots: the decode GEMV and the prefill GEMM. Codes c = t + 1 ∈ {0, 1, 2} are unsigned, so
// AVX2's vpmaddubsw (u8 × s8 → pairs summed into i16) takes them directly; the caller subtracts Σq once per row to
// turn Σ q · c into Σ q · t. A pair sums to at most 2 · 2 · 128 = 512 in magnitude, four of them (one chunk) 2048,
// so i16 lanes hold 15 chunks safely; they are widened to i32 every 8.
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels.h"

namespace bitnet {

void packTernary(uint8_t* dst, const uint8_t* src, int64_t rows, int64_t cols, int64_t r0, int64_t r1) {
  const int64_t chunks = ternaryChunks(cols);
  const int64_t rowBytes = (cols + 3) / 4;
  std::vector<uint8_t> codes(chunks * kChunk);
  for (int64_t j = r0; j < r1; j++) {
    // One code per byte first (padding: code 1, t = 0), then four codes per byte in the kernel's order.
    std::fill(codes.begin(), codes.end(), uint8_t{1});
    if (j < rows) {
      const uint8_t* row = src + j * rowBytes;
      for (int64_t c = 0; c < cols; c++) codes[c] = (row[c >> 2] >> (2 * (c & 3))) & 3;
    }
    uint8_t* rowBase = dst + (j / 4) * chunks * 128 + (j % 4) * 32;
    for (int64_t c = 0; c < chunks; c++) {
      const uint8_t* k = codes.data() + c * kChunk;
      uint8_t* block = rowBase + c * 128;
      for (int i = 0; i < 32; i++) block[i] = static_cast<uint8_t>(k[i] | (k[32 + i] << 2) | (k[64 + i] << 4) | (k[96 + i] << 6));
    }
  }
}

int ternaryAt(const uint8_t* w, int64_t chunks, int64_t j, int64_t i) {
  const uint8_t byte = w[(j / 4) * chunks * 128 + (i / kChunk) * 128 + (j % 4) * 32 + (i % 32)];
  return ((byte >> (2 * ((i % kChunk) / 32))) & 3) - 1;
}

static void dotsScalar(int32_t* dots, int64_t dotStride, const uint8_t* w, int64_t chunks, const int8_t* q, int64_t qStride, int64_t T, int64_t g0,
                       int64_t g1) {
  for (int64_t g = g0; g < g1; g++) {
    for (int r = 0; r < 4; r++) {
      for (int64_t t = 0; t < T; t++) {
        const int8_t* x = q + t * qStride;
        int32_t acc = 0;
        for (int64_t c = 0; c < chunks; c++) {
          const uint8_t* block = w + (g * chunks + c) * 128 + r * 32;
          for (int k = 0; k < 4; k++)
            for (int i = 0; i < 32; i++) acc += ((block[i] >> (2 * k)) & 3) * x[c * kChunk + 32 * k + i];
        }
        dots[t * dotStride + (g - g0) * 4 + r] = acc;
      }
    }
  }
}

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
      _mm_prefetch(reinterpret_cast<const char*>(block + 1024), _MM_HINT_T0);
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

// NT tokens (1..8) against one row: the row's codes are unpacked once per chunk and reused by every token. NT is a
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
        const __m256i p0 = _mm256_maddubs_epi16(k0, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x)));
        const __m256i p1 = _mm256_maddubs_epi16(k1, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 32)));
        const __m256i p2 = _mm256_maddubs_epi16(k2, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 64)));
        const __m256i p3 = _mm256_maddubs_epi16(k3, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 96)));
        acc16[t] = _mm256_add_epi16(acc16[t], _mm256_add_epi16(_mm256_add_epi16(p0, p1), _mm256_add_epi16(p2, p3)));
      }
    }
    for (int t = 0; t < NT; t++) acc32[t] = _mm256_add_epi32(acc32[t], _mm256_madd_epi16(acc16[t], ones));
  }
  for (int t = 0; t < NT; t++) dots[t * dotStride] += hsum(acc32[t]);
}

using GemmRow = void (*)(int32_t*, int64_t, const uint8_t*, int64_t, int64_t, const int8_t*, int64_t);
static const GemmRow kGemmRow[9] = {nullptr, gemmRowAvx2<1>, gemmRowAvx2<2>, gemmRowAvx2<3>, gemmRowAvx2<4>,
                                    gemmRowAvx2<5>, gemmRowAvx2<6>, gemmRowAvx2<7>, gemmRowAvx2<8>};

// Cache blocking: tokens in blocks of kTokenBlock and columns in segments of kSegment chunks, so that a block's
// activations for one segment (kTokenBlock · kSegment · 128 bytes) stay in L1 while every row group streams past;
// inside, tiles of up to 8 tokens per row.
constexpr int64_t kTokenBlock = 32;
constexpr int64_t kSegment = 8;

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
          for (int64_t t = tb; t < te; t += 8) {
            const int nt = static_cast<int>(te - t < 8 ? te - t : 8);
            kGemmRow[nt](dots + t * dotStride + (g - g0) * 4 + r, dotStride, row, cs, ce, q + t * qStride, qStride);
          }
        }
      }
    }
  }
}

void ternaryDots(int32_t* dots, int64_t dotStride, const uint8_t* w, int64_t chunks, const int8_t* q, int64_t qStride, int64_t T, int64_t g0, int64_t g1) {
  if (!useAvx2()) return dotsScalar(dots, dotStride, w, chunks, q, qStride, T, g0, g1);
  if (T == 1) {
    for (int64_t g = g0; g < g1; g++) gemvGroupAvx2(dots + (g - g0) * 4, w + g * chunks * 128, chunks, q);
    return;
  }
  gemmAvx2(dots, dotStride, w, chunks, q, qStride, T, g0, g1);
}

}  // namespace bitnet
