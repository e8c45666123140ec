// bitnet-ts CUDA kernels, compiled at run time by NVRTC for the device's architecture (src/backends/cuda/), after
// common.cuh (src/backends/cuda/sources.ts puts the two together).
// Numerics follow the reference (docs/numerics.md): per-token int8 quantisation decided in float64 as the
// reference does; Q8_K in float32 with correctly rounded divisions (no fast-math); integer sums exact (__dp4a);
// everything else float32. Ternary weights: rows of Kw u32 words, 16 two-bit codes each (code = t + 1, low bits
// first: the ternary-rows layout read four bytes at a time), rows padded with zero bytes to a multiple of 4 words
// (64 codes), so that rows start 16-byte aligned and whole 64-code steps need no tail.
// Quantised activations: rows of Kw * 16 int8 (zero beyond K, so padded codes meet q = 0).

// The row-wise ops, fused so that a chain the model runs back to back is one launch (src/backends/cuda/pending.ts):
// an optional element-wise step, an optional RMSNorm, an optional per-token int8 quantisation. One block of
// ROW_THREADS threads per row; thread tid owns the elements i = tid + k * ROW_THREADS. Each step computes exactly what
// it would as a launch of its own (same order of sums, same block reduction), so fusing changes no bit.
//   pre 0: x is the input (a, b unused); 1: x = a + b; 2: x = relu(a)^2 * b; 3: x = silu(a) * b (x written).
//   w != nullptr: xn = x / sqrt(mean(x^2) + eps) * w, the sum of squares widened to float64 for the mean.
//   q != nullptr: s = 127 / max(|xn|, 1e-5) and q = roundHalfEven(xn * s), both in float64 (zero beyond K, to Kp).
// Rows of up to ROW_THREADS * ROW_ELEMS elements (2B-4T's widest is 6,912) stay in registers from the first load to
// the last store: all of a thread's loads are issued before any store, so a decode step's single row waits for
// memory once, not once per element a thread owns (measured on an H200: 16.7 us a launch when each pass re-read
// memory behind the previous pass's stores, which the compiler may not reorder since x may be a or b; 8.4 us with
// the row in registers, most of it the launch and two block reductions). Wider rows take the same steps through
// memory.
#define ROW_THREADS 512
#define ROW_ELEMS 16
__device__ __forceinline__ float rowPre(int pre, float g, float h) {
  if (pre == 1) return g + h;
  if (pre == 2) {
    float r = fmaxf(g, 0.0f);
    return r * r * h;
  }
  return g / (1.0f + expf(-g)) * h;
}
__device__ __forceinline__ signed char rowQuantize(float v, double scale) { return (signed char)fmin(127.0, fmax(-128.0, rint((double)v * scale))); }

__device__ void rowFusedInRegisters(int pre, const float* ar, const float* br, float* xr, const float* w, float eps, float* outr, signed char* qr, double* s, int K, int Kp) {
  const int tid = threadIdx.x;
  float v[ROW_ELEMS], wv[ROW_ELEMS]; // the norm's weights are loaded with the row, not after its reduction
#pragma unroll
  for (int k = 0; k < ROW_ELEMS; k++) {
    int i = tid + k * ROW_THREADS;
    v[k] = i >= K ? 0.0f : pre == 0 ? xr[i] : rowPre(pre, ar[i], br[i]);
    wv[k] = i >= K || w == nullptr ? 0.0f : w[i];
  }
  if (pre != 0) {
#pragma unroll
    for (int k = 0; k < ROW_ELEMS; k++)
      if (tid + k * ROW_THREADS < K) xr[tid + k * ROW_THREADS] = v[k];
  }
  if (w != nullptr) {
    float ss = 0.0f;
#pragma unroll
    for (int k = 0; k < ROW_ELEMS; k++)
      if (tid + k * ROW_THREADS < K) ss += v[k] * v[k];
    ss = blockReduce(ss, false);
    float r = (float)(1.0 / sqrt((double)ss / K + (double)eps));
#pragma unroll
    for (int k = 0; k < ROW_ELEMS; k++) {
      int i = tid + k * ROW_THREADS;
      if (i < K) outr[i] = v[k] = v[k] * r * wv[k];
    }
  }
  if (qr != nullptr) {
    float m = 0.0f;
#pragma unroll
    for (int k = 0; k < ROW_ELEMS; k++) m = fmaxf(m, fabsf(v[k]));
    m = blockReduce(m, true);
    double scale = 127.0 / fmax((double)m, 1e-5);
    if (tid == 0) *s = scale;
#pragma unroll
    for (int k = 0; k < ROW_ELEMS; k++) {
      int i = tid + k * ROW_THREADS;
      if (i < Kp) qr[i] = i < K ? rowQuantize(v[k], scale) : 0;
    }
  }
}

__device__ void rowFusedInMemory(int pre, const float* ar, const float* br, float* xr, const float* w, float eps, float* outr, signed char* qr, double* s, int K, int Kp) {
  if (pre != 0)
    for (int i = threadIdx.x; i < K; i += ROW_THREADS) xr[i] = rowPre(pre, ar[i], br[i]);
  const float* yr = xr;
  if (w != nullptr) {
    float ss = 0.0f;
    for (int i = threadIdx.x; i < K; i += ROW_THREADS) ss += xr[i] * xr[i];
    ss = blockReduce(ss, false);
    float r = (float)(1.0 / sqrt((double)ss / K + (double)eps));
    for (int i = threadIdx.x; i < K; i += ROW_THREADS) outr[i] = xr[i] * r * w[i];
    yr = outr;
  }
  if (qr != nullptr) {
    float m = 0.0f;
    for (int i = threadIdx.x; i < K; i += ROW_THREADS) m = fmaxf(m, fabsf(yr[i]));
    m = blockReduce(m, true);
    double scale = 127.0 / fmax((double)m, 1e-5);
    if (threadIdx.x == 0) *s = scale;
    for (int i = threadIdx.x; i < Kp; i += ROW_THREADS) qr[i] = i < K ? rowQuantize(yr[i], scale) : 0;
  }
}

extern "C" __global__ void __launch_bounds__(ROW_THREADS) row_fused(int pre, const float* a, const float* b, float* x, const float* w, float eps, float* xn, signed char* q, double* s, int K, int Kp) {
  size_t row = blockIdx.x;
  const float* ar = pre == 0 ? nullptr : a + row * K;
  const float* br = pre == 0 ? nullptr : b + row * K;
  float* outr = w == nullptr ? nullptr : xn + row * K;
  signed char* qr = q == nullptr ? nullptr : q + row * Kp;
  if (max(K, Kp) <= ROW_THREADS * ROW_ELEMS) rowFusedInRegisters(pre, ar, br, x + row * K, w, eps, outr, qr, s + row, K, Kp);
  else rowFusedInMemory(pre, ar, br, x + row * K, w, eps, outr, qr, s + row, K, Kp);
}

// llama.cpp's Q8_K: one block of 256 threads per 256 elements. m = the element of largest |x| (the first on ties),
// iscale = -127 / m, q = min(127, roundHalfEven(iscale * x)), d = 1 / iscale; d = 0 and q = 0 for a zero block.
extern "C" __global__ void quantize_q8k(const float* x, int K, int Kp, signed char* q, double* d) {
  int block = blockIdx.x, blocksPerRow = K / 256;
  int row = block / blocksPerRow, b = block % blocksPerRow;
  const float* xb = x + (size_t)row * K + b * 256;
  __shared__ float amax[256];
  __shared__ int at[256];
  int i = threadIdx.x;
  amax[i] = fabsf(xb[i]);
  at[i] = i;
  __syncthreads();
  for (int o = 128; o > 0; o >>= 1) {
    if (i < o && (amax[i + o] > amax[i] || (amax[i + o] == amax[i] && at[i + o] < at[i]))) {
      amax[i] = amax[i + o];
      at[i] = at[i + o];
    }
    __syncthreads();
  }
  signed char* qb = q + (size_t)row * Kp + b * 256;
  if (amax[0] == 0.0f) {
    qb[i] = 0;
    if (i == 0) d[block] = 0.0;
    return;
  }
  float iscale = __fdiv_rn(-127.0f, xb[at[0]]);
  qb[i] = (signed char)min(127, __float2int_rn(__fmul_rn(iscale, xb[i])));
  if (i == 0) d[block] = (double)__fdiv_rn(1.0f, iscale);
}

// y[t, j] = (sum q * t) * beta / s[t]: one warp per output row j (8 rows per block), each lane taking 64 codes at a
// time (one 16-byte load of four weight words, four of activations) so that a warp has 512 bytes of weights in
// flight per step, not 128; tokens in tiles of 8 so that each weight word is loaded and unpacked once per tile
// (prefill) rather than per token.
#define TOKEN_TILE 8
__device__ void ternaryRowsInt8(const unsigned* w, int N, int Kw, const signed char* q, const double* s, int T, float beta, float* y, int block) {
  int j = block * 8 + threadIdx.y;
  if (j >= N) return; // the same for the whole warp
  const uint4* wr = (const uint4*)(w + (size_t)j * Kw);
  const int K4 = Kw / 4;
  for (int t0 = 0; t0 < T; t0 += TOKEN_TILE) {
    int tn = min(TOKEN_TILE, T - t0);
    int acc[TOKEN_TILE];
#pragma unroll
    for (int k = 0; k < TOKEN_TILE; k++) acc[k] = 0;
    for (int c = threadIdx.x; c < K4; c += WARP) {
      const uint4 four = wr[c];
      const unsigned words[4] = {four.x, four.y, four.z, four.w};
      int wv[16];
#pragma unroll
      for (int u = 0; u < 4; u++)
#pragma unroll
        for (int b = 0; b < 4; b++) wv[4 * u + b] = codesToI8(words[u], b);
#pragma unroll
      for (int k = 0; k < TOKEN_TILE; k++) {
        if (k < tn) {
          const int4* xr = (const int4*)(q + (size_t)(t0 + k) * Kw * 16) + 4 * c;
          int a = acc[k];
#pragma unroll
          for (int u = 0; u < 4; u++) {
            const int4 x = xr[u];
            a = __dp4a(wv[4 * u + 3], x.w, __dp4a(wv[4 * u + 2], x.z, __dp4a(wv[4 * u + 1], x.y, __dp4a(wv[4 * u], x.x, a))));
          }
          acc[k] = a;
        }
      }
    }
#pragma unroll
    for (int k = 0; k < TOKEN_TILE; k++) {
      if (k >= tn) break; // the same for the whole warp: decode (tn = 1) reduces one sum, not eight
      int total = warpSumInt(acc[k]);
      if (threadIdx.x == 0) y[(size_t)(t0 + k) * N + j] = (float)((double)total * (double)beta / s[t0 + k]);
    }
  }
}

extern "C" __global__ void ternary_int8(const unsigned* w, int N, int Kw, const signed char* q, const double* s, int T, float beta, float* y) {
  ternaryRowsInt8(w, N, Kw, q, s, T, beta, y, blockIdx.x);
}

// Two or three products of one quantised input in one launch (q, k, v; gate, up): the first ceil(N0 / 8) blocks
// compute the first, the next ceil(N1 / 8) the second, the rest the third (N2 = 0 when there are two).
extern "C" __global__ void ternary_int8_multi(const unsigned* w0, int N0, float beta0, float* y0, const unsigned* w1, int N1, float beta1, float* y1,
                                              const unsigned* w2, int N2, float beta2, float* y2, int Kw, const signed char* q, const double* s, int T) {
  int b = blockIdx.x, b0 = (N0 + 7) / 8, b1 = (N1 + 7) / 8;
  if (b < b0) ternaryRowsInt8(w0, N0, Kw, q, s, T, beta0, y0, b);
  else if (b < b0 + b1) ternaryRowsInt8(w1, N1, Kw, q, s, T, beta1, y1, b - b0);
  else ternaryRowsInt8(w2, N2, Kw, q, s, T, beta2, y2, b - b0 - b1);
}

// A decode step's products (T = 1; one, two or three of one input, as ternary_int8_multi) over rows of up to
// DECODE_LOADS * 64 * WARP codes (K <= 8192): each lane issues every weight load of its row before the first
// multiply, so that a warp waits for memory once per row instead of once per 64 codes a lane. A kernel of its own so
// that it keeps the few registers this needs (32 on sm_90, against ~75 for the token-tiled loop above): more warps a
// multiprocessor, more loads in flight. Measured on an H200 at 2B-4T's shapes inside a decode step (weights from
// DRAM): 14.5 us against 23.8 for gate and up, 8.1 against 10.5 for q, k and v, 8.5 against 9.7 for o and down.
#define DECODE_LOADS 4
__device__ __forceinline__ int dotCodes64(uint4 four, const int4* xr, int a) {
  const unsigned words[4] = {four.x, four.y, four.z, four.w};
#pragma unroll
  for (int u = 0; u < 4; u++) {
    const int4 x = xr[u];
    a = __dp4a(codesToI8(words[u], 3), x.w, __dp4a(codesToI8(words[u], 2), x.z, __dp4a(codesToI8(words[u], 1), x.y, __dp4a(codesToI8(words[u], 0), x.x, a))));
  }
  return a;
}
__device__ void ternaryRowInt8(const unsigned* w, int N, int Kw, const signed char* q, const double* s, float beta, float* y, int block) {
  int j = block * 8 + threadIdx.y;
  if (j >= N) return; // the same for the whole warp
  const uint4* wr = (const uint4*)(w + (size_t)j * Kw);
  const int K4 = Kw / 4;
  uint4 wv[DECODE_LOADS];
#pragma unroll
  for (int it = 0; it < DECODE_LOADS; it++) {
    int c = threadIdx.x + WARP * it;
    if (c < K4) wv[it] = wr[c];
  }
  int acc = 0;
#pragma unroll
  for (int it = 0; it < DECODE_LOADS; it++) {
    int c = threadIdx.x + WARP * it;
    if (c < K4) acc = dotCodes64(wv[it], (const int4*)q + 4 * c, acc);
  }
  int total = warpSumInt(acc);
  if (threadIdx.x == 0) y[j] = (float)((double)total * (double)beta / s[0]);
}
extern "C" __global__ void ternary_row_int8(const unsigned* w0, int N0, float beta0, float* y0, const unsigned* w1, int N1, float beta1, float* y1,
                                            const unsigned* w2, int N2, float beta2, float* y2, int Kw, const signed char* q, const double* s) {
  int b = blockIdx.x, b0 = (N0 + 7) / 8, b1 = (N1 + 7) / 8;
  if (b < b0) ternaryRowInt8(w0, N0, Kw, q, s, beta0, y0, b);
  else if (b < b0 + b1) ternaryRowInt8(w1, N1, Kw, q, s, beta1, y1, b - b0);
  else ternaryRowInt8(w2, N2, Kw, q, s, beta2, y2, b - b0 - b1);
}

// Appends a call's k and v rows (T x kvDim, n = T * kvDim floats each) to the cache layer at positions *pos..:
// keys transposed into kc [kvDim][capacity] (see attention.cu), values as rows into vc [capacity][kvDim].
// Positions are read from device memory (src/backends/cuda/step-launches.ts), so a decode step's launches are the
// same from token to token and can be replayed as one CUDA graph.
extern "C" __global__ void kv_append(const float* k, const float* v, float* kc, float* vc, int n, int kvDim, int capacity, const int* pos) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  int appendPos = *pos;
  kc[(size_t)(i % kvDim) * capacity + appendPos + i / kvDim] = k[i];
  vc[(size_t)appendPos * kvDim + i] = v[i];
}

// Unquantised or Q8_K activations (the oracle's form x' = float32(q * d)): y[t, j] = beta * sum x' * t in float32.
// d == nullptr: x is float32 [T, K]; otherwise q [T, Kp] and d [T, K / 256].
extern "C" __global__ void ternary_float(const unsigned* w, int N, int K, int Kw, const float* x, const signed char* q, int Kp, const double* d, int T, float beta, float* y) {
  int j = blockIdx.x * 8 + threadIdx.y;
  if (j >= N) return;
  const unsigned* wr = w + (size_t)j * Kw;
  for (int t = 0; t < T; t++) {
    float acc = 0.0f;
    for (int c = threadIdx.x; c < Kw; c += WARP) {
      unsigned word = wr[c];
      for (int k = 0; k < 16; k++) {
        int i = c * 16 + k;
        unsigned code = (word >> (2 * k)) & 3u;
        if (i >= K || code == 1u) continue;
        float v = d == nullptr ? x[(size_t)t * K + i] : __fmul_rn((float)q[(size_t)t * Kp + i], (float)d[t * (K / 256) + i / 256]);
        acc += code == 2u ? v : -v;
      }
    }
    acc = warpSum(acc);
    if (threadIdx.x == 0) y[(size_t)t * N + j] = acc * beta;
  }
}

// Half-split RoPE from a cos | sin table [positions, D] built in float64 on the host, in place, one thread per pair,
// on up to two buffers of T rows (q: H0 heads, k: H1 heads; H1 = 0 for one) at positions *pos... When the attention
// that follows is fused in (src/backends/cuda/pending.ts), each rotated k pair is also written to the cache at the
// same positions (kc: the layer's keys, transposed, see attention.cu), and v (H1 heads) is copied to vc (the
// layer's value rows, [capacity][H1 * D]) by threads of its own, so one launch replaces rope, rope and the append.
extern "C" __global__ void rope_append(float* x0, int H0, float* x1, int H1, const float* cs, int T, int D, const int* pos, const float* v, float* kc, float* vc, int capacity) {
  int half = D / 2, startPos = *pos, appendPos = startPos;
  int pairs0 = T * H0 * half, pairs1 = T * H1 * half;
  int index = blockIdx.x * blockDim.x + threadIdx.x;
  if (index >= pairs0 + pairs1) {
    index -= pairs0 + pairs1;
    if (vc != nullptr && index < T * H1 * D) vc[(size_t)appendPos * H1 * D + index] = v[index];
    return;
  }
  bool second = index >= pairs0;
  if (second) index -= pairs0;
  int H = second ? H1 : H0;
  int i = index % half, th = index / half, t = th / H, h = th % H;
  float* p = (second ? x1 : x0) + (size_t)th * D;
  const float* c = cs + (size_t)(startPos + t) * D;
  float a = p[i], b = p[i + half];
  float ra = a * c[i] - b * c[half + i], rb = b * c[i] + a * c[half + i];
  p[i] = ra;
  p[i + half] = rb;
  if (second && kc != nullptr) {
    kc[(size_t)(h * D + i) * capacity + appendPos + t] = ra;
    kc[(size_t)(h * D + i + half) * capacity + appendPos + t] = rb;
  }
}

// Table element (v, i): storage 0 float32, 1 float16, 2 bfloat16 (16-bit tables as u16), widened exactly.
__device__ __forceinline__ float widen16(unsigned h, int storage) {
  if (storage == 2) return __uint_as_float(h << 16);
  // IEEE half to float by its fields (exact; no cuda_fp16.h needed under NVRTC).
  unsigned sign = (h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
  if (e == 0) return __uint_as_float(sign) + (sign ? -1.0f : 1.0f) * (float)m * 5.9604644775390625e-8f; // m * 2^-24
  if (e == 31) return __uint_as_float(sign | 0x7f800000u | (m << 13));
  return __uint_as_float(sign | ((e + 112u) << 23) | (m << 13));
}
__device__ __forceinline__ float tableAt(const void* table, int storage, size_t at) {
  if (storage == 0) return ((const float*)table)[at];
  return widen16(((const unsigned short*)table)[at], storage);
}

// out[t, v] = table[v] . x[fromRow + t]: one warp per vocabulary row (8 per block). The table is the largest read of
// a decode step (2B-4T: 656 MB of float16), so where rows are whole 16-byte pieces (d a multiple of 8 for 16-bit
// tables, of 4 for float32) each lane loads 16 bytes at a time, 512 bytes a warp; other widths go element by element.
extern "C" __global__ void lm_head(const void* table, int storage, int V, int d, const float* x, int fromRow, int T, float* out) {
  int v = blockIdx.x * 8 + threadIdx.y;
  if (v >= V) return;
  const int per = storage == 0 ? 4 : 8; // elements in 16 bytes
  const bool wide = d % per == 0;
  const uint4* row = (const uint4*)((const char*)table + (size_t)v * d * (storage == 0 ? 4 : 2));
  for (int t = 0; t < T; t++) {
    const float* xr = x + (size_t)(fromRow + t) * d;
    float acc = 0.0f;
    if (wide) {
      for (int c = threadIdx.x; c < d / per; c += WARP) {
        const uint4 u = row[c];
        const unsigned words[4] = {u.x, u.y, u.z, u.w};
        const float* xs = xr + c * per;
        if (storage == 0) {
#pragma unroll
          for (int k = 0; k < 4; k++) acc += __uint_as_float(words[k]) * xs[k];
        } else {
#pragma unroll
          for (int k = 0; k < 4; k++) acc += widen16(words[k] & 0xffffu, storage) * xs[2 * k] + widen16(words[k] >> 16, storage) * xs[2 * k + 1];
        }
      }
    } else {
      for (int i = threadIdx.x; i < d; i += WARP) acc += tableAt(table, storage, (size_t)v * d + i) * xr[i];
    }
    acc = warpSum(acc);
    if (threadIdx.x == 0) out[(size_t)t * V + v] = acc;
  }
}

extern "C" __global__ void embed(const void* table, int storage, int d, const int* ids, int T, float* out) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= T * d) return;
  out[i] = tableAt(table, storage, (size_t)ids[i / d] * d + i % d);
}

// Each row's argmax (src/argmax.ts): the lowest index of the largest value; NaN never wins unless it is the row's
// first value. One block of 1024 threads per row, (value, index) pairs reduced through shared memory; greedy
// decoding then reads one integer a token instead of the row.
extern "C" __global__ void argmax_rows(const float* x, int cols, int* out) {
  __shared__ float bestValue[1024];
  __shared__ int bestIndex[1024];
  const float* xr = x + (size_t)blockIdx.x * cols;
  const int tid = threadIdx.x;
  float best = __int_as_float(0xff800000); // -infinity: ties with it go to the lower index, NaNs never compare
  int at = 0x7fffffff;
  for (int i = tid; i < cols; i += blockDim.x) {
    float v = xr[i];
    if (v > best || (v == best && i < at)) {
      best = v;
      at = i;
    }
  }
  bestValue[tid] = best;
  bestIndex[tid] = at;
  __syncthreads();
  for (int o = blockDim.x / 2; o > 0; o >>= 1) {
    if (tid < o) {
      float v = bestValue[tid + o];
      int i = bestIndex[tid + o];
      if (v > bestValue[tid] || (v == bestValue[tid] && i < bestIndex[tid])) {
        bestValue[tid] = v;
        bestIndex[tid] = i;
      }
    }
    __syncthreads();
  }
  if (tid == 0) out[blockIdx.x] = xr[0] != xr[0] || bestIndex[0] == 0x7fffffff ? 0 : bestIndex[0];
}
