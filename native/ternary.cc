// Ternary × int8 code dots: the decode GEMV and the prefill GEMM (AVX-512 VNNI, AVX-VNNI, AVX2, NEON or scalar, as
// cpu.cc decides). Codes c = t + 1 ∈ {0, 1, 2} are unsigned, so
// AVX2's vpmaddubsw (u8 × s8 → pairs summed into i16) takes them directly; the caller subtracts Σq once per row to
// turn Σ q · c into Σ q · t. A pair sums to at most 2 · 2 · 128 = 512 in magnitude, four of them (one chunk) 2048,
// so i16 lanes hold 15 chunks safely; they are widened to i32 every 8.
#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels.h"
#include "simd.h"

namespace bitnet {

// The low 2 bits of each byte of w, packed into one byte (byte k's at bits 2k).
static inline uint8_t gatherField(uint32_t w) {
  const uint32_t x = w & 0x03030303u;
  return static_cast<uint8_t>(x | (x >> 6) | (x >> 12) | (x >> 18));
}

void packTernary(uint8_t* dst, const uint8_t* src, int64_t rows, int64_t cols, int64_t r0, int64_t r1) {
  const int64_t chunks = ternaryChunks(cols);
  const int64_t rowBytes = (cols + 3) / 4;
  // One row of the rows layout padded to whole chunks with code 1 (t = 0), so the transpose below has no edges.
  std::vector<uint8_t> padded(chunks * 32);
  for (int64_t j = r0; j < r1; j++) {
    std::fill(padded.begin(), padded.end(), uint8_t{0x55});
    if (j < rows) {
      std::memcpy(padded.data(), src + j * rowBytes, rowBytes);
      for (int64_t c = cols; c < rowBytes * 4; c++) {
        const int shift = 2 * (c & 3);
        padded[c >> 2] = static_cast<uint8_t>((padded[c >> 2] & ~(3 << shift)) | (1 << shift));
      }
    }
    uint8_t* rowBase = dst + (j / 4) * chunks * 128 + (j % 4) * 32;
    for (int64_t c = 0; c < chunks; c++) {
      // Block byte i = 4q + f holds columns 128c + 32k + i (k = 0..3) at bits 2k; column 128c + 32k + i is field f
      // of padded byte 32c + 8k + q. So four source bytes give four block bytes: a 4 × 4 transpose of 2-bit fields.
      const uint8_t* s = padded.data() + 32 * c;
      uint8_t* block = rowBase + c * 128;
      for (int q = 0; q < 8; q++) {
        const uint32_t w = s[q] | (s[8 + q] << 8) | (s[16 + q] << 16) | (static_cast<uint32_t>(s[24 + q]) << 24);
        for (int f = 0; f < 4; f++) block[4 * q + f] = gatherField(w >> (2 * f));
      }
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


void ternaryQ8kRows(float* out, const uint8_t* w, int64_t N, int64_t chunks, int64_t K, double beta, const int8_t* q, const double* d, int64_t T,
                    int64_t g0, int64_t g1) {
  const int64_t blocks = K / 256;
  // Σ q per (token, block), subtracted from each block's code dots Σ q · (t + 1); reused by every row group.
  thread_local std::vector<int32_t> qsums;
  qsums.assign(T * blocks, 0);
  for (int64_t t = 0; t < T; t++)
    for (int64_t i = 0; i < K; i++) qsums[t * blocks + i / 256] += q[t * K + i];
  for (int64_t g = g0; g < g1; g++) {
    for (int64_t t = 0; t < T; t++) {
      double acc[4] = {0, 0, 0, 0};
      for (int64_t b = 0; b < blocks; b++) {
        // A block is two 128-column chunks, contiguous per group: the GEMV over "one group of two chunks" there.
        int32_t dots[4];
        ternaryDots(dots, 4, w + (g * chunks + 2 * b) * 128, 2, q + t * K + 256 * b, 0, 1, 0, 1);
        const double db = d[t * blocks + b];
        for (int r = 0; r < 4; r++) acc[r] += db * double(dots[r] - qsums[t * blocks + b]);
      }
      for (int r = 0; r < 4 && 4 * g + r < N; r++) out[t * N + 4 * g + r] = static_cast<float>(acc[r] * beta);
    }
  }
}

void ternaryFloatRows(float* out, const uint8_t* w, int64_t N, int64_t chunks, int64_t K, double beta, const float* x, int64_t T, int64_t g0, int64_t g1) {
  for (int64_t j = g0 * 4; j < std::min(N, g1 * 4); j++) {
    const uint8_t* row = w + (j / 4) * chunks * 128 + (j % 4) * 32;
    for (int64_t t = 0; t < T; t++) {
      const float* xt = x + t * K;
      double acc = 0;
      // Byte i of a chunk's 32 holds columns 128c + 32k + i at bits 2k; columns past K are code 1 (t = 0).
      for (int64_t c = 0; c < chunks; c++)
        for (int k = 0; k < 4; k++) {
          const int64_t base = 128 * c + 32 * k;
          const int64_t n = std::min<int64_t>(32, K - base);
          for (int64_t i = 0; i < n; i++) {
            const int code = (row[c * 128 + i] >> (2 * k)) & 3;
            if (code != 1) acc += code == 2 ? double(xt[base + i]) : -double(xt[base + i]);
          }
        }
      out[t * N + j] = static_cast<float>(acc * beta);
    }
  }
}

void ternaryDots(int32_t* dots, int64_t dotStride, const uint8_t* w, int64_t chunks, const int8_t* q, int64_t qStride, int64_t T, int64_t g0, int64_t g1) {
#if defined(__x86_64__) || defined(__i386__)
  if (useAvx512Vnni()) return ternaryDotsAvx512Vnni(dots, dotStride, w, chunks, q, qStride, T, g0, g1);
  if (useAvxVnni()) return ternaryDotsAvxVnni(dots, dotStride, w, chunks, q, qStride, T, g0, g1);
  if (useAvx2()) return ternaryDotsAvx2(dots, dotStride, w, chunks, q, qStride, T, g0, g1);
#elif defined(__aarch64__)
  if (useNeon()) return ternaryDotsNeon(dots, dotStride, w, chunks, q, qStride, T, g0, g1);
#endif
  dotsScalar(dots, dotStride, w, chunks, q, qStride, T, g0, g1);
}

}  // namespace bitnet
