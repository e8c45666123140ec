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

// Up to 8 tokens against one row: the row's codes are unpacked once per chunk and reused by every token.
__attribute__((target("avx2"))) static void gemmRowAvx2(int32_t* dots, int64_t dotStride, const uint8_t* row, int64_t chunks, const int8_t* q,
                                                        int64_t qStride, int nt) {
  const __m256i mask = _mm256_set1_epi8(3);
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i acc32[8];
  for (int t = 0; t < 8; t++) acc32[t] = _mm256_setzero_si256();
  for (int64_t c0 = 0; c0 < chunks; c0 += 8) {
    const int64_t c1 = c0 + 8 < chunks ? c0 + 8 : chunks;
    __m256i acc16[8];
    for (int t = 0; t < 8; t++) acc16[t] = _mm256_setzero_si256();
    for (int64_t c = c0; c < c1; c++) {
      const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + c * 128));
      const __m256i k0 = _mm256_and_si256(b, mask);
      const __m256i k1 = _mm256_and_si256(_mm256_srli_epi16(b, 2), mask);
      const __m256i k2 = _mm256_and_si256(_mm256_srli_epi16(b, 4), mask);
      const __m256i k3 = _mm256_and_si256(_mm256_srli_epi16(b, 6), mask);
      for (int t = 0; t < nt; t++) {
        const int8_t* xc = q + t * qStride + c * kChunk;
        __m256i p = _mm256_maddubs_epi16(k0, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xc)));
        p = _mm256_add_epi16(p, _mm256_maddubs_epi16(k1, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xc + 32))));
        p = _mm256_add_epi16(p, _mm256_maddubs_epi16(k2, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xc + 64))));
        p = _mm256_add_epi16(p, _mm256_maddubs_epi16(k3, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xc + 96))));
        acc16[t] = _mm256_add_epi16(acc16[t], p);
      }
    }
    for (int t = 0; t < nt; t++) acc32[t] = _mm256_add_epi32(acc32[t], _mm256_madd_epi16(acc16[t], ones));
  }
  for (int t = 0; t < nt; t++) dots[t * dotStride] = hsum(acc32[t]);
}

// Tokens in blocks of 32 (their activations stay in L2 while the block's rows stream past), rows inside, then
// tiles of 8 tokens per row.
__attribute__((target("avx2"))) static void gemmAvx2(int32_t* dots, int64_t dotStride, const uint8_t* w, int64_t chunks, const int8_t* q, int64_t qStride,
                                                     int64_t T, int64_t g0, int64_t g1) {
  for (int64_t tb = 0; tb < T; tb += 32) {
    const int64_t te = tb + 32 < T ? tb + 32 : T;
    for (int64_t g = g0; g < g1; g++) {
      for (int r = 0; r < 4; r++) {
        const uint8_t* row = w + g * chunks * 128 + r * 32;
        for (int64_t t = tb; t < te; t += 8) {
          const int nt = static_cast<int>(te - t < 8 ? te - t : 8);
          gemmRowAvx2(dots + t * dotStride + (g - g0) * 4 + r, dotStride, row, chunks, q + t * qStride, qStride, nt);
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
