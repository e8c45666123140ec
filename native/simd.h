// The ISA-specific kernels (avx2.cc on x86-64, neon.cc on arm64) and how the portable files pick them. Each has the
// contract of the portable function it stands in for; integer results are identical to the scalar code's.
#pragma once
#include <cstdint>

#include "kernels.h"

namespace bitnet {

// The value of table element `at` widened to float (kernels' scalar tails).
float tableValue(const void* table, int storage, int64_t at);

#if defined(__x86_64__) || defined(__i386__)
// vnni.cc: the same contract with vpdpbusd (256-bit AVX-VNNI; AVX-512 VNNI with a 512-bit decode GEMV).
void ternaryDotsAvxVnni(int32_t* dots, int64_t dotStride, const uint8_t* w, int64_t chunks, const int8_t* q, int64_t qStride, int64_t T, int64_t g0, int64_t g1);
void ternaryDotsAvx512Vnni(int32_t* dots, int64_t dotStride, const uint8_t* w, int64_t chunks, const int8_t* q, int64_t qStride, int64_t T, int64_t g0, int64_t g1);
void ternaryDotsAvx2(int32_t* dots, int64_t dotStride, const uint8_t* w, int64_t chunks, const int8_t* q, int64_t qStride, int64_t T, int64_t g0, int64_t g1);
float tableRowDotAvx2(const void* table, int storage, int64_t base, const float* x, int64_t d);
int32_t i8DotAvx2(const int8_t* a, const int8_t* b, int64_t n);
float dotF32Avx2(const float* a, const float* b, int64_t n);
void axpyF32Avx2(float* y, float a, const float* x, int64_t n);
void quantizeTokenRowAvx2(int8_t* q, int64_t qStride, double* s, int32_t* sums, const float* x, int64_t K);
void rmsnormRowAvx2(float* out, const float* x, const float* w, int64_t K, double eps);
void siluMulAvx2(float* out, const float* gate, const float* up, int64_t i0, int64_t i1);
#endif

#if defined(__aarch64__)
void ternaryDotsNeon(int32_t* dots, int64_t dotStride, const uint8_t* w, int64_t chunks, const int8_t* q, int64_t qStride, int64_t T, int64_t g0, int64_t g1);
float tableRowDotNeon(const void* table, int storage, int64_t base, const float* x, int64_t d);
int32_t i8DotNeon(const int8_t* a, const int8_t* b, int64_t n);
float dotF32Neon(const float* a, const float* b, int64_t n);
void axpyF32Neon(float* y, float a, const float* x, int64_t n);
#endif

using RowDot = float (*)(const void*, int, int64_t, const float*, int64_t);
using I8Dot = int32_t (*)(const int8_t*, const int8_t*, int64_t);
using FloatDot = float (*)(const float*, const float*, int64_t);
using FloatAxpy = void (*)(float*, float, const float*, int64_t);

// The SIMD kernel for this CPU, or nullptr for the portable loop.
#if defined(__x86_64__) || defined(__i386__)
inline RowDot tableRowDotSimd() { return useAvx2() ? tableRowDotAvx2 : nullptr; }
inline I8Dot i8DotSimd() { return useAvx2() ? i8DotAvx2 : nullptr; }
inline FloatDot floatDotSimd() { return useAvx2() ? dotF32Avx2 : nullptr; }
inline FloatAxpy floatAxpySimd() { return useAvx2() ? axpyF32Avx2 : nullptr; }
#elif defined(__aarch64__)
inline RowDot tableRowDotSimd() { return useNeon() ? tableRowDotNeon : nullptr; }
inline I8Dot i8DotSimd() { return useNeon() ? i8DotNeon : nullptr; }
inline FloatDot floatDotSimd() { return useNeon() ? dotF32Neon : nullptr; }
inline FloatAxpy floatAxpySimd() { return useNeon() ? axpyF32Neon : nullptr; }
#else
inline RowDot tableRowDotSimd() { return nullptr; }
inline I8Dot i8DotSimd() { return nullptr; }
inline FloatDot floatDotSimd() { return nullptr; }
inline FloatAxpy floatAxpySimd() { return nullptr; }
#endif

}  // namespace bitnet
