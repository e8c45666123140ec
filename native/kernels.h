// The native backend's kernels: plain C++ declarations shared by the program runner and the N-API glue.
// Every kernel works on a row range [r0, r1) of its output so that the thread pool can split it; none allocates.
// Arithmetic contract (docs/native.md): int8 activations and integer dot products are exact; per-token
// quantisation decides every rounding in float64 as the reference does; Q8_K follows llama.cpp's float32 steps;
// everything else is float32 storage with float64 or float32 arithmetic.
#pragma once
#include <cstddef>
#include <cstdint>

namespace bitnet {

// What the CPU offers, decided once at load (cpuid through the compiler's builtins).
struct CpuFeatures {
  bool avx2 = false;        // x86-64: AVX2 + FMA + F16C together
  bool avxVnni = false;     // x86-64: AVX-VNNI (256-bit vpdpbusd, VEX) on top of avx2
  bool avx512Vnni = false;  // x86-64: AVX512F + BW + VL + VNNI, with the OS saving the 512-bit state
  bool neon = false;        // arm64: Advanced SIMD, part of the base architecture
};
const CpuFeatures& cpu();
// The widest kernel family the dispatch may pick: tests lower it to compare the paths on one machine.
enum IsaLevel : int { kIsaScalar = 0, kIsaAvx2 = 1, kIsaAvxVnni = 2, kIsaAvx512Vnni = 3 };
// Sets the ceiling and returns the previous one; setForceScalar(on) is setIsaCeiling(on ? scalar : widest).
int setIsaCeiling(int level);
bool setForceScalar(bool on);
bool useAvx2();
bool useAvxVnni();
bool useAvx512Vnni();
bool useNeon();
// The name of the ternary kernel family in use: "avx512-vnni", "avx-vnni", "avx2", "neon" or "scalar".
const char* ternaryIsa();

// ---- ternary weights ---------------------------------------------------------------------------------------
// Native layout (ternary.cc): rows in groups of 4, K padded to 128-column chunks; per group, per chunk, per row,
// 32 bytes in which byte i holds the codes (t + 1) of columns 32k + i at bits 2k (k = 0..3).
constexpr int kChunk = 128;
inline int64_t ternaryGroups(int64_t rows) { return (rows + 3) / 4; }
inline int64_t ternaryChunks(int64_t cols) { return (cols + kChunk - 1) / kChunk; }
inline int64_t ternaryBytes(int64_t rows, int64_t cols) { return ternaryGroups(rows) * ternaryChunks(cols) * 4 * 32; }
// Repacks rows [r0, r1) from the engine's ternary-rows layout (ceil(cols / 4) bytes per row, column c at bits
// 2 (c & 3) of byte c >> 2). Padding rows and columns get code 1 (t = 0).
void packTernary(uint8_t* dst, const uint8_t* rowsLayout, int64_t rows, int64_t cols, int64_t r0, int64_t r1);
// Code dots Σ_i q[t, i] · (t_ji + 1) for row groups [g0, g1) and all T tokens: row j = 4g + r goes to
// dots[t * dotStride + (g − g0) * 4 + r]. q: [T, qStride] int8, zero beyond cols.
void ternaryDots(int32_t* dots, int64_t dotStride, const uint8_t* w, int64_t chunks, const int8_t* q, int64_t qStride, int64_t T, int64_t g0, int64_t g1);
// llama.cpp's TQ × Q8_K product for row groups [g0, g1) and all T tokens: per 256-column block b the integer sum
// Σ q · t (exact) times d[t, b], summed in float64, times β: out [T, N]. q: [T, K] int8, d: [T, K / 256]; K a
// multiple of 256. Within float32 of the oracle's Σ float32(q · d) · t (spec/tolerances.ts, ternaryMatmul.q8k).
void ternaryQ8kRows(float* out, const uint8_t* w, int64_t N, int64_t chunks, int64_t K, double beta, const int8_t* q, const double* d, int64_t T,
                    int64_t g0, int64_t g1);
// The unquantised product (llamacpp numerics on float checkpoints) for row groups [g0, g1): β · Σ x · t in float64.
void ternaryFloatRows(float* out, const uint8_t* w, int64_t N, int64_t chunks, int64_t K, double beta, const float* x, int64_t T, int64_t g0, int64_t g1);
// The t value of (row j, column i) read back from the native layout (slow paths, tests).
int ternaryAt(const uint8_t* w, int64_t chunks, int64_t j, int64_t i);

// ---- per-row ops (rows [r0, r1) of T) ------------------------------------------------------------------------
void rmsnormRows(float* out, const float* x, const float* w, int64_t K, double eps, int64_t r0, int64_t r1);
// Per-token absmax int8 (formats §3.1), decided in float64: q [T, qStride] (padding zeroed), s [T], sums Σq [T].
void quantizeTokenRows(int8_t* q, int64_t qStride, double* s, int32_t* sums, const float* x, int64_t K, int64_t r0, int64_t r1);
// llama.cpp's Q8_K in float32 steps: q [T, K], d [T, K / 256] (float64 holding float32 values).
void quantizeQ8kRows(int8_t* q, double* d, const float* x, int64_t K, int64_t r0, int64_t r1);
// The lossy int8 rows of the opt-in lm_head: q [rows, rowBytes] (padding zeroed), one float scale per row.
void quantizeI8Rows(int8_t* q, float* scales, int64_t rowBytes, const float* x, int64_t d, int64_t r0, int64_t r1);
// Half-split RoPE for rows [r0, r1) of x [T, H·D], positions startPos + t; cos/sin tables [positions][D/2].
void ropeRows(float* x, int64_t H, int64_t D, int64_t startPos, const double* cosT, const double* sinT, int64_t r0, int64_t r1);

// ---- elementwise (elements [i0, i1)) --------------------------------------------------------------------------
void addRange(float* out, const float* a, const float* b, int64_t i0, int64_t i1);
void reluSqMulRange(float* out, const float* gate, const float* up, int64_t i0, int64_t i1);
void siluMulRange(float* out, const float* gate, const float* up, int64_t i0, int64_t i1);

// ---- attention ------------------------------------------------------------------------------------------------
// One (token t, head h) item of causal GQA attention over a head-major cache [Hkv][capacity][D]; scores: scratch
// of startPos + t + 1 floats.
void attentionItem(float* out, const float* q, const float* kc, const float* vc, int64_t t, int64_t h, int64_t startPos, int64_t H, int64_t Hkv, int64_t D,
                   int64_t capacity, float* scores);

// ---- lm_head ---------------------------------------------------------------------------------------------------
enum TableStorage : int { kF32 = 0, kF16 = 1, kBf16 = 2, kI8 = 3 };
// out[t, v] = Σ_i table[v, i] · x[t, i] for vocab rows [v0, v1), float32 accumulation; 16-bit tables widened
// exactly in registers. out: [T, V].
void lmHeadRows(float* out, const void* table, int storage, int64_t V, int64_t d, const float* x, int64_t T, int64_t v0, int64_t v1);
// The lossy int8 lm_head: table int8 [V, rowBytes] with float scales; xq int8 [T, rowBytes] with float scales.
void lmHeadI8Rows(float* out, const int8_t* table, const float* scales, int64_t V, int64_t rowBytes, const int8_t* xq, const float* xScales, int64_t T,
                  int64_t v0, int64_t v1);
// One embedding row widened to float32.
void tableRow(float* dst, const void* table, int storage, int64_t d, int64_t row, const float* i8Scales, int64_t rowBytes);
// Half → float, exact for every half (used by the scalar paths and the gather).
float halfToFloat(uint16_t h);

}  // namespace bitnet
