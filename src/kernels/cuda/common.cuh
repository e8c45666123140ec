// What every bitnet-ts CUDA module shares: warp and block reductions, and the unpacking of 2-bit ternary codes.
// Each module is compiled as this text followed by its own (src/backends/cuda/sources.ts).

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
