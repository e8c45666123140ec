// Decode-product (T = 1) candidates timed against bitnet.cu's ternary_row_int8 and ternary_int8 by gemv-variants.mjs;
// compiled after common.cuh. gemv_g1 became bitnet.cu's ternary_row_int8 (fastest here on every shape, 2026-11-27). Same layout and numerics as ternary_int8 (its header): y[j] = (sum q * t) * beta / s[0].
// Each warp takes R rows and issues every weight load of its rows before the first multiply (up to 4 uint4 a lane a
// row: K <= 8192), so that a warp has R * 2 KB in flight rather than 512 bytes; SMEM: the block first copies the
// activation row into shared memory, so the warps read it from there instead of L1/L2.
#define MAXIT 4
template <int R, bool SMEM>
__device__ void gemvPre(const unsigned* w, int N, int Kw, const signed char* q, const double* s, float beta, float* y) {
  extern __shared__ int4 xs[];
  const int K4 = Kw / 4, lane = threadIdx.x;
  const int j0 = (blockIdx.x * blockDim.y + threadIdx.y) * R;
  const uint4 zeros = {0x55555555u, 0x55555555u, 0x55555555u, 0x55555555u}; // code 1 everywhere: t = 0
  uint4 wv[R][MAXIT];
#pragma unroll
  for (int r = 0; r < R; r++)
#pragma unroll
    for (int it = 0; it < MAXIT; it++) {
      int c = lane + WARP * it;
      wv[r][it] = (j0 + r < N && c < K4) ? ((const uint4*)(w + (size_t)(j0 + r) * Kw))[c] : zeros;
    }
  if (SMEM) {
    const int4* qg = (const int4*)q;
    for (int i = threadIdx.y * WARP + lane; i < Kw; i += blockDim.x * blockDim.y) xs[i] = qg[i];
    __syncthreads();
  }
  int acc[R];
#pragma unroll
  for (int r = 0; r < R; r++) acc[r] = 0;
#pragma unroll
  for (int it = 0; it < MAXIT; it++) {
    int c = lane + WARP * it;
    if (c < K4) {
      const int4* xr = (SMEM ? (const int4*)xs : (const int4*)q) + 4 * c;
      int4 x[4];
#pragma unroll
      for (int u = 0; u < 4; u++) x[u] = xr[u];
#pragma unroll
      for (int r = 0; r < R; r++) {
        const unsigned words[4] = {wv[r][it].x, wv[r][it].y, wv[r][it].z, wv[r][it].w};
        int a = acc[r];
#pragma unroll
        for (int u = 0; u < 4; u++)
          a = __dp4a(codesToI8(words[u], 3), x[u].w, __dp4a(codesToI8(words[u], 2), x[u].z, __dp4a(codesToI8(words[u], 1), x[u].y, __dp4a(codesToI8(words[u], 0), x[u].x, a))));
        acc[r] = a;
      }
    }
  }
#pragma unroll
  for (int r = 0; r < R; r++) {
    int total = warpSumInt(acc[r]);
    if (lane == 0 && j0 + r < N) y[j0 + r] = (float)((double)total * (double)beta / s[0]);
  }
}
extern "C" __global__ void gemv_g1(const unsigned* w, int N, int Kw, const signed char* q, const double* s, int T, float beta, float* y) { gemvPre<1, false>(w, N, Kw, q, s, beta, y); }
extern "C" __global__ void gemv_g2(const unsigned* w, int N, int Kw, const signed char* q, const double* s, int T, float beta, float* y) { gemvPre<2, false>(w, N, Kw, q, s, beta, y); }
extern "C" __global__ void gemv_g4(const unsigned* w, int N, int Kw, const signed char* q, const double* s, int T, float beta, float* y) { gemvPre<4, false>(w, N, Kw, q, s, beta, y); }
extern "C" __global__ void gemv_s1(const unsigned* w, int N, int Kw, const signed char* q, const double* s, int T, float beta, float* y) { gemvPre<1, true>(w, N, Kw, q, s, beta, y); }
extern "C" __global__ void gemv_s2(const unsigned* w, int N, int Kw, const signed char* q, const double* s, int T, float beta, float* y) { gemvPre<2, true>(w, N, Kw, q, s, beta, y); }
extern "C" __global__ void gemv_s4(const unsigned* w, int N, int Kw, const signed char* q, const double* s, int T, float beta, float* y) { gemvPre<4, true>(w, N, Kw, q, s, beta, y); }
extern "C" __global__ void empty_kernel() {}
