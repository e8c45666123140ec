// The prefill product on tensor cores: y[t, j] = (sum_k q[t, k] * w[j, k]) * beta / s[t] for many tokens at once,
// int8 x int8 -> int32 with WMMA (PTX `wmma`, m16n16k16, sm_72 and later). Compiled after common.cuh in a module of
// its own, so that a device or compiler that refuses it leaves the backend on ternary_int8 (bitnet.cu), which
// computes the same integers one warp per output row. The sums are exact and the last step is ternary_int8's
// expression, so both give the same bits.
//
// A block of 4 warps computes a 64 x 64 tile of y (tokens x output rows), walking K 64 codes at a time: the tile's
// int8 activations and its weights, unpacked from 2-bit codes to int8, are staged in shared memory as four 16-wide
// slices, [slice][row][16], so that every 16 x 16 fragment starts 256-byte aligned with a leading dimension of 16.
// Each warp owns a 32 x 32 quarter: 2 x 2 accumulator fragments.

// WMMA through PTX, with fragments as opaque registers (the PTX ISA leaves their layout to the hardware; only whole
// fragments are loaded, multiplied and stored). NVRTC has no mma.h, hence the inline assembly. Generic addresses.
#ifndef BITNET_EMULATED_WMMA
struct FragAB { unsigned r[2]; };
struct FragC { int r[8]; };
__device__ __forceinline__ void wmmaLoadA(FragAB& f, const signed char* p, int ld) {
  asm volatile("wmma.load.a.sync.aligned.row.m16n16k16.s8 {%0, %1}, [%2], %3;" : "=r"(f.r[0]), "=r"(f.r[1]) : "l"(p), "r"(ld) : "memory");
}
__device__ __forceinline__ void wmmaLoadB(FragAB& f, const signed char* p, int ld) {
  asm volatile("wmma.load.b.sync.aligned.col.m16n16k16.s8 {%0, %1}, [%2], %3;" : "=r"(f.r[0]), "=r"(f.r[1]) : "l"(p), "r"(ld) : "memory");
}
__device__ __forceinline__ void wmmaMma(FragC& c, const FragAB& a, const FragAB& b) {
  asm volatile(
      "wmma.mma.sync.aligned.row.col.m16n16k16.s32.s8.s8.s32 {%0, %1, %2, %3, %4, %5, %6, %7}, {%8, %9}, {%10, %11}, {%0, %1, %2, %3, %4, %5, %6, %7};"
      : "+r"(c.r[0]), "+r"(c.r[1]), "+r"(c.r[2]), "+r"(c.r[3]), "+r"(c.r[4]), "+r"(c.r[5]), "+r"(c.r[6]), "+r"(c.r[7])
      : "r"(a.r[0]), "r"(a.r[1]), "r"(b.r[0]), "r"(b.r[1]));
}
__device__ __forceinline__ void wmmaStore(int* p, const FragC& c, int ld) {
  asm volatile("wmma.store.d.sync.aligned.row.m16n16k16.s32 [%0], {%1, %2, %3, %4, %5, %6, %7, %8}, %9;"
               :
               : "l"(p), "r"(c.r[0]), "r"(c.r[1]), "r"(c.r[2]), "r"(c.r[3]), "r"(c.r[4]), "r"(c.r[5]), "r"(c.r[6]), "r"(c.r[7]), "r"(ld)
               : "memory");
}
#endif

#define GEMM_TILE 64
#define GEMM_SLICES 4 // 16-wide slices of K per step: 64 codes, four words of a weight row

extern "C" __global__ void __launch_bounds__(128) ternary_gemm(const unsigned* w, int N, int Kw, const signed char* q, const double* s, int T, float beta, float* y) {
  alignas(256) __shared__ signed char as[GEMM_SLICES][GEMM_TILE * 16]; // [slice][token][16]: A row-major, ld 16
  alignas(256) __shared__ signed char bs[GEMM_SLICES][GEMM_TILE * 16]; // [slice][output row][16]: B column-major, ld 16
  alignas(256) __shared__ int cs[GEMM_TILE * GEMM_TILE];
  const int tilesT = (T + GEMM_TILE - 1) / GEMM_TILE;
  const int t0 = (blockIdx.x % tilesT) * GEMM_TILE, n0 = (blockIdx.x / tilesT) * GEMM_TILE;
  const int tid = threadIdx.x, warp = tid / WARP;
  const int wm = (warp / 2) * 32, wn = (warp % 2) * 32;
  const int Kp = Kw * 16;
  FragC acc[2][2];
#pragma unroll
  for (int i = 0; i < 2; i++)
#pragma unroll
    for (int j = 0; j < 2; j++)
#pragma unroll
      for (int r = 0; r < 8; r++) acc[i][j].r[r] = 0;

  for (int k0 = 0; k0 < Kp; k0 += 16 * GEMM_SLICES) {
    // 64 rows x 4 slices of 16 bytes each for A and for B: two of each per thread. Beyond T, N or K: zeros.
    for (int i = tid; i < GEMM_TILE * GEMM_SLICES; i += blockDim.x) {
      const int row = i / GEMM_SLICES, slice = i % GEMM_SLICES, k = k0 + 16 * slice;
      int4 a;
      a.x = a.y = a.z = a.w = 0;
      if (t0 + row < T && k < Kp) a = *(const int4*)(q + (size_t)(t0 + row) * Kp + k);
      *(int4*)&as[slice][row * 16] = a;
      int4 b;
      b.x = b.y = b.z = b.w = 0;
      if (n0 + row < N && k < Kp) {
        const unsigned word = w[(size_t)(n0 + row) * Kw + k / 16];
        b.x = codesToI8(word, 0);
        b.y = codesToI8(word, 1);
        b.z = codesToI8(word, 2);
        b.w = codesToI8(word, 3);
      }
      *(int4*)&bs[slice][row * 16] = b;
    }
    __syncthreads();
#pragma unroll
    for (int slice = 0; slice < GEMM_SLICES; slice++) {
      FragAB a[2], b[2];
#pragma unroll
      for (int i = 0; i < 2; i++) wmmaLoadA(a[i], &as[slice][(wm + 16 * i) * 16], 16);
#pragma unroll
      for (int j = 0; j < 2; j++) wmmaLoadB(b[j], &bs[slice][(wn + 16 * j) * 16], 16);
#pragma unroll
      for (int i = 0; i < 2; i++)
#pragma unroll
        for (int j = 0; j < 2; j++) wmmaMma(acc[i][j], a[i], b[j]);
    }
    __syncthreads(); // every warp has read the slices before the next step overwrites them
  }
#pragma unroll
  for (int i = 0; i < 2; i++)
#pragma unroll
    for (int j = 0; j < 2; j++) wmmaStore(&cs[(wm + 16 * i) * GEMM_TILE + wn + 16 * j], acc[i][j], GEMM_TILE);
  __syncthreads();
  for (int i = tid; i < GEMM_TILE * GEMM_TILE; i += blockDim.x) {
    const int t = t0 + i / GEMM_TILE, j = n0 + i % GEMM_TILE;
    if (t < T && j < N) y[(size_t)t * N + j] = (float)((double)cs[i] * (double)beta / s[t]);
  }
}
