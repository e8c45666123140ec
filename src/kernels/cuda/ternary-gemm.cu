// The prefill products on tensor cores: y[t, j] = (sum_k q[t, k] * w[j, k]) * beta / s[t] for many tokens at once,
// int8 x int8 -> int32 with WMMA (PTX `wmma`, m16n16k16, sm_72 and later). Compiled after common.cuh in a module of
// its own, so that a device or compiler that refuses it leaves the backend on ternary_int8 (bitnet.cu), which
// computes the same integers one warp per output row. The sums are exact and the last step is ternary_int8's
// expression, so both give the same bits.
//
// A block of 4 warps computes a 64 x 64 tile of y (tokens x output rows), walking K 64 codes at a time: the tile's
// int8 activations and its weights, unpacked from 2-bit codes to int8, are staged in shared memory as four 16-wide
// slices, [slice][row][16], so that every 16 x 16 fragment starts 256-byte aligned with a leading dimension of 16.
// Each warp owns a 32 x 32 quarter: 2 x 2 accumulator fragments.
//
// The staging is double-buffered through registers: while the warps multiply step k's slices, each thread's loads
// of step k + 1 are already in flight, and it unpacks and stores them into the other buffer afterwards. Without
// that, every step waited out a global-memory round trip with the tensor cores idle (a block has nothing else to
// do between its two barriers). One barrier a step suffices: a buffer is rewritten only a step after it was read,
// and every warp has passed the barrier that ends that read.

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
#define GEMM_THREADS 128 // 4 warps; each thread stages 2 of a step's 64 x 4 slices of A and of B

// What one thread stages of one K step: two of the tile's 64 rows x 4 slices, for A (16 int8 activations each) and
// for B (one word: 16 ternary codes). Beyond T, N or K: zeros, so partial tiles multiply as if padded.
struct GemmStage {
  int4 a[2];
  unsigned w[2];
};

__device__ __forceinline__ void gemmLoad(GemmStage& g, const unsigned* w, int N, int Kw, const signed char* q, int T, int t0, int n0, int k0) {
  const int Kp = Kw * 16;
#pragma unroll
  for (int u = 0; u < 2; u++) {
    const int i = threadIdx.x + u * GEMM_THREADS, row = i / GEMM_SLICES, k = k0 + 16 * (i % GEMM_SLICES);
    g.a[u].x = g.a[u].y = g.a[u].z = g.a[u].w = 0;
    if (t0 + row < T && k < Kp) g.a[u] = *(const int4*)(q + (size_t)(t0 + row) * Kp + k);
    g.w[u] = n0 + row < N && k < Kp ? w[(size_t)(n0 + row) * Kw + k / 16] : 0x55555555u; // code 1 is weight 0
  }
}

__device__ __forceinline__ void gemmStore(const GemmStage& g, signed char (*as)[GEMM_TILE * 16], signed char (*bs)[GEMM_TILE * 16]) {
#pragma unroll
  for (int u = 0; u < 2; u++) {
    const int i = threadIdx.x + u * GEMM_THREADS, row = i / GEMM_SLICES, slice = i % GEMM_SLICES;
    *(int4*)&as[slice][row * 16] = g.a[u];
    int4 b;
    b.x = codesToI8(g.w[u], 0);
    b.y = codesToI8(g.w[u], 1);
    b.z = codesToI8(g.w[u], 2);
    b.w = codesToI8(g.w[u], 3);
    *(int4*)&bs[slice][row * 16] = b;
  }
}

// Up to three products of the same activations in one launch (q, k, v; gate, up), as ternary_int8_multi does for
// decode: product i takes the next tilesT * ceil(N_i / 64) blocks (N_i = 0 for an unused slot). At prefill sizes the
// k and v products alone are a fraction of a wave (2B-4T, 512 tokens: 80 blocks for 132 multiprocessors), and each
// would still take as long as q's; one launch fills the device once.
extern "C" __global__ void __launch_bounds__(GEMM_THREADS) ternary_gemm(const unsigned* w0, int N0, float beta0, float* y0, const unsigned* w1, int N1, float beta1, float* y1,
                                                                       const unsigned* w2, int N2, float beta2, float* y2, int Kw, const signed char* q, const double* s, int T) {
  alignas(256) __shared__ signed char as[2][GEMM_SLICES][GEMM_TILE * 16]; // [buffer][slice][token][16]: A row-major, ld 16
  alignas(256) __shared__ signed char bs[2][GEMM_SLICES][GEMM_TILE * 16]; // [buffer][slice][output row][16]: B column-major, ld 16
  alignas(256) __shared__ int cs[GEMM_TILE * GEMM_TILE];
  const int tilesT = (T + GEMM_TILE - 1) / GEMM_TILE;
  const int tiles0 = tilesT * ((N0 + GEMM_TILE - 1) / GEMM_TILE), tiles1 = tilesT * ((N1 + GEMM_TILE - 1) / GEMM_TILE);
  int tile = blockIdx.x;
  const unsigned* w = w0;
  int N = N0;
  float beta = beta0;
  float* y = y0;
  if (tile >= tiles0 + tiles1) {
    w = w2, N = N2, beta = beta2, y = y2;
    tile -= tiles0 + tiles1;
  } else if (tile >= tiles0) {
    w = w1, N = N1, beta = beta1, y = y1;
    tile -= tiles0;
  }
  const int t0 = (tile % tilesT) * GEMM_TILE, n0 = (tile / tilesT) * GEMM_TILE;
  const int tid = threadIdx.x, warp = tid / WARP;
  const int wm = (warp / 2) * 32, wn = (warp % 2) * 32;
  const int steps = (Kw * 16 + 16 * GEMM_SLICES - 1) / (16 * GEMM_SLICES);
  FragC acc[2][2];
#pragma unroll
  for (int i = 0; i < 2; i++)
#pragma unroll
    for (int j = 0; j < 2; j++)
#pragma unroll
      for (int r = 0; r < 8; r++) acc[i][j].r[r] = 0;

  GemmStage next;
  gemmLoad(next, w, N, Kw, q, T, t0, n0, 0);
  gemmStore(next, as[0], bs[0]);
  __syncthreads();
  for (int step = 0; step < steps; step++) {
    const int cur = step & 1;
    const bool more = step + 1 < steps;
    if (more) gemmLoad(next, w, N, Kw, q, T, t0, n0, (step + 1) * 16 * GEMM_SLICES);
#pragma unroll
    for (int slice = 0; slice < GEMM_SLICES; slice++) {
      FragAB a[2], b[2];
#pragma unroll
      for (int i = 0; i < 2; i++) wmmaLoadA(a[i], &as[cur][slice][(wm + 16 * i) * 16], 16);
#pragma unroll
      for (int j = 0; j < 2; j++) wmmaLoadB(b[j], &bs[cur][slice][(wn + 16 * j) * 16], 16);
#pragma unroll
      for (int i = 0; i < 2; i++)
#pragma unroll
        for (int j = 0; j < 2; j++) wmmaMma(acc[i][j], a[i], b[j]);
    }
    if (more) gemmStore(next, as[cur ^ 1], bs[cur ^ 1]);
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 2; i++)
#pragma unroll
    for (int j = 0; j < 2; j++) wmmaStore(&cs[(wm + 16 * i) * GEMM_TILE + wn + 16 * j], acc[i][j], GEMM_TILE);
  __syncthreads();
  for (int i = tid; i < GEMM_TILE * GEMM_TILE; i += GEMM_THREADS) {
    const int t = t0 + i / GEMM_TILE, j = n0 + i % GEMM_TILE;
    if (t < T && j < N) y[(size_t)t * N + j] = (float)((double)cs[i] * (double)beta / s[t]);
  }
}
