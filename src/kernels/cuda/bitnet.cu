// bitnet-ts CUDA kernels, compiled at run time by NVRTC for the device's architecture (src/backends/cuda/).
// Numerics follow the reference (docs/numerics.md): per-token int8 quantisation decided in float64 as the
// reference does; Q8_K in float32 with correctly rounded divisions (no fast-math); integer sums exact (__dp4a);
// everything else float32. Ternary weights: rows of Kw u32 words, 16 two-bit codes each (code = t + 1, low bits
// first: the ternary-rows layout read four bytes at a time, rows padded with zero bytes to whole words).
// Quantised activations: rows of Kw * 16 int8 (zero beyond K, so padded codes meet q = 0).

#define WARP 32

__device__ __forceinline__ float warpSum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  return v;
}
__device__ __forceinline__ int warpSumInt(int v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  return v;
}
// A block-wide reduction over blockDim.x threads (a multiple of 32, at most 1024); every thread gets the result.
__device__ float blockReduce(float v, bool isMax) {
  __shared__ float part[32];
  for (int o = 16; o > 0; o >>= 1) {
    float other = __shfl_down_sync(0xffffffffu, v, o);
    v = isMax ? fmaxf(v, other) : v + other;
  }
  int lane = threadIdx.x % WARP, warp = threadIdx.x / WARP, warps = blockDim.x / WARP;
  __syncthreads();
  if (lane == 0) part[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < warps ? part[lane] : (isMax ? -3.0e38f : 0.0f);
    for (int o = 16; o > 0; o >>= 1) {
      float other = __shfl_down_sync(0xffffffffu, v, o);
      v = isMax ? fmaxf(v, other) : v + other;
    }
    if (lane == 0) part[0] = v;
  }
  __syncthreads();
  return part[0];
}

// Four 2-bit codes (byte b of a word) as four int8 lanes holding code - 1.
__device__ __forceinline__ int codesToI8(unsigned word, int b) {
  unsigned c = (word >> (8 * b)) & 0xffu;
  unsigned spread = (c & 3u) | ((c & 0xcu) << 6) | ((c & 0x30u) << 12) | ((c & 0xc0u) << 18);
  return (int)(((spread | 0x80808080u) - 0x01010101u) ^ 0x80808080u);
}

// Per-token absmax int8: one block per row. s = 127 / max(a, 1e-5) and q = roundHalfEven(x * s) in float64.
extern "C" __global__ void quantize_per_token(const float* x, int K, int Kp, signed char* q, double* s) {
  int row = blockIdx.x;
  const float* xr = x + (size_t)row * K;
  float a = 0.0f;
  for (int i = threadIdx.x; i < K; i += blockDim.x) a = fmaxf(a, fabsf(xr[i]));
  a = blockReduce(a, true);
  double scale = 127.0 / fmax((double)a, 1e-5);
  if (threadIdx.x == 0) s[row] = scale;
  signed char* qr = q + (size_t)row * Kp;
  for (int i = threadIdx.x; i < Kp; i += blockDim.x) {
    double v = i < K ? rint((double)xr[i] * scale) : 0.0;
    qr[i] = (signed char)fmin(127.0, fmax(-128.0, v));
  }
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

// y[t, j] = (sum q * t) * beta / s[t]: one warp per output row j (8 rows per block), lanes over the row's words,
// tokens in tiles of 8 so that each weight word is loaded and unpacked once per tile (prefill) rather than per token.
#define TOKEN_TILE 8
extern "C" __global__ void ternary_int8(const unsigned* w, int N, int Kw, const signed char* q, const double* s, int T, float beta, float* y) {
  int j = blockIdx.x * 8 + threadIdx.y;
  if (j >= N) return; // the same for the whole warp
  const unsigned* wr = w + (size_t)j * Kw;
  for (int t0 = 0; t0 < T; t0 += TOKEN_TILE) {
    int tn = min(TOKEN_TILE, T - t0);
    int acc[TOKEN_TILE];
#pragma unroll
    for (int k = 0; k < TOKEN_TILE; k++) acc[k] = 0;
    for (int c = threadIdx.x; c < Kw; c += WARP) {
      unsigned word = wr[c];
      int w0 = codesToI8(word, 0), w1 = codesToI8(word, 1), w2 = codesToI8(word, 2), w3 = codesToI8(word, 3);
#pragma unroll
      for (int k = 0; k < TOKEN_TILE; k++) {
        if (k < tn) {
          int4 x = ((const int4*)(q + (size_t)(t0 + k) * Kw * 16))[c];
          acc[k] = __dp4a(w3, x.w, __dp4a(w2, x.z, __dp4a(w1, x.y, __dp4a(w0, x.x, acc[k]))));
        }
      }
    }
#pragma unroll
    for (int k = 0; k < TOKEN_TILE; k++) {
      int total = warpSumInt(acc[k]);
      if (threadIdx.x == 0 && k < tn) y[(size_t)(t0 + k) * N + j] = (float)((double)total * (double)beta / s[t0 + k]);
    }
  }
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

// One block per row: out = x / sqrt(mean(x^2) + eps) * w (sum of squares in float64).
extern "C" __global__ void rmsnorm(const float* x, const float* w, int K, float eps, float* out) {
  int row = blockIdx.x;
  const float* xr = x + (size_t)row * K;
  float ss = 0.0f;
  for (int i = threadIdx.x; i < K; i += blockDim.x) ss += xr[i] * xr[i];
  ss = blockReduce(ss, false);
  float r = (float)(1.0 / sqrt((double)ss / K + (double)eps));
  for (int i = threadIdx.x; i < K; i += blockDim.x) out[(size_t)row * K + i] = xr[i] * r * w[i];
}

// Half-split RoPE from a cos | sin table [positions, D] built in float64 on the host; in place, one thread per pair.
extern "C" __global__ void rope(float* x, const float* cs, int T, int H, int D, int startPos) {
  int half = D / 2;
  int index = blockIdx.x * blockDim.x + threadIdx.x;
  if (index >= T * H * half) return;
  int i = index % half, th = index / half, t = th / H;
  float* p = x + (size_t)th * D;
  const float* c = cs + (size_t)(startPos + t) * D;
  float x0 = p[i], x1 = p[i + half];
  p[i] = x0 * c[i] - x1 * c[half + i];
  p[i + half] = x1 * c[i] + x0 * c[half + i];
}

// Causal GQA attention, one block per (row t, head h); scores in dynamic shared memory (n floats).
extern "C" __global__ void attention(const float* q, const float* kc, const float* vc, float* out, int T, int H, int Hkv, int D, int startPos, float scale) {
  extern __shared__ float sc[];
  int t = blockIdx.x / H, h = blockIdx.x % H;
  int kvh = h / (H / Hkv), kvDim = Hkv * D, n = startPos + t + 1;
  const float* qr = q + ((size_t)t * H + h) * D;
  float m = -3.0e38f;
  for (int j = threadIdx.x; j < n; j += blockDim.x) {
    const float* kr = kc + (size_t)j * kvDim + kvh * D;
    float dot = 0.0f;
    for (int d = 0; d < D; d++) dot += qr[d] * kr[d];
    sc[j] = dot * scale;
    m = fmaxf(m, sc[j]);
  }
  m = blockReduce(m, true);
  float sum = 0.0f;
  for (int j = threadIdx.x; j < n; j += blockDim.x) {
    sc[j] = expf(sc[j] - m);
    sum += sc[j];
  }
  sum = blockReduce(sum, false); // its barriers also publish sc
  for (int d = threadIdx.x; d < D; d += blockDim.x) {
    float acc = 0.0f;
    for (int j = 0; j < n; j++) acc += sc[j] * vc[(size_t)j * kvDim + kvh * D + d];
    out[((size_t)t * H + h) * D + d] = acc / sum;
  }
}

// kind 0: silu(a) * b; 1: relu(a)^2 * b; 2: a + b.
extern "C" __global__ void elementwise(int kind, const float* a, const float* b, float* out, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  float g = a[i];
  if (kind == 0) out[i] = g / (1.0f + expf(-g)) * b[i];
  else if (kind == 1) { float r = fmaxf(g, 0.0f); out[i] = r * r * b[i]; }
  else out[i] = g + b[i];
}

// Table element (v, i): storage 0 float32, 1 float16, 2 bfloat16 (16-bit tables as u16), widened exactly.
__device__ __forceinline__ float tableAt(const void* table, int storage, size_t at) {
  if (storage == 0) return ((const float*)table)[at];
  unsigned h = ((const unsigned short*)table)[at];
  if (storage == 2) return __uint_as_float(h << 16);
  // IEEE half to float by its fields (exact; no cuda_fp16.h needed under NVRTC).
  unsigned sign = (h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
  if (e == 0) return __uint_as_float(sign) + (sign ? -1.0f : 1.0f) * (float)m * 5.9604644775390625e-8f; // m * 2^-24
  if (e == 31) return __uint_as_float(sign | 0x7f800000u | (m << 13));
  return __uint_as_float(sign | ((e + 112u) << 23) | (m << 13));
}

// out[t, v] = table[v] . x[fromRow + t]: one warp per vocabulary row (8 per block).
extern "C" __global__ void lm_head(const void* table, int storage, int V, int d, const float* x, int fromRow, int T, float* out) {
  int v = blockIdx.x * 8 + threadIdx.y;
  if (v >= V) return;
  for (int t = 0; t < T; t++) {
    const float* xr = x + (size_t)(fromRow + t) * d;
    float acc = 0.0f;
    for (int i = threadIdx.x; i < d; i += WARP) acc += tableAt(table, storage, (size_t)v * d + i) * xr[i];
    acc = warpSum(acc);
    if (threadIdx.x == 0) out[(size_t)t * V + v] = acc;
  }
}

extern "C" __global__ void embed(const void* table, int storage, int d, const int* ids, int T, float* out) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= T * d) return;
  out[i] = tableAt(table, storage, (size_t)ids[i / d] * d + i % d);
}
