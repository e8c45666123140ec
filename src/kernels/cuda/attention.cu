// Causal GQA attention over the device-resident KV cache, part of the base module (after common.cuh and bitnet.cu,
// src/backends/cuda/sources.ts). The cache: keys transposed, kc[kvh * D + d][position] with `capacity` positions a
// row, so that the threads of a chunk, one key each, read consecutive addresses at every d; values as rows
// vc[position][kvh * D + d], so that threads owning consecutive d read consecutive addresses.
//
// One block serves, for one row t, up to ATT_HEADS query heads that share a kv head, so every key and value it loads
// is used by all of them (2B-4T: four query heads a kv head, the cache read a quarter as often as by a block per
// query head). It walks its keys a chunk of ATT_CHUNK at a time with an online softmax: a running max m, earlier
// outputs rescaled by exp(m_old - m_new) when the max grows, the sum l kept in registers until the end; no row of
// scores has to fit in shared memory. A block has ATT_CHUNK * slices threads (slices = 1 or ATT_SLICES, from the
// launch): `slices` threads share each key and each output dimension. Thread (lane = tid % ATT_CHUNK,
// slice = tid / ATT_CHUNK) takes dimensions d = slice, slice + slices, ... of key lane's dot product (the slices' sums
// added in slice order), and keys jj = slice, slice + slices, ... of output dimensions d = lane + i * ATT_CHUNK
// (D <= ATT_CHUNK * ATT_DIMS; the slices' outputs added in slice order at the end). With four slices each thread
// waits on a quarter of the loads: a call of few blocks (decode) reads the cache from DRAM, and loads in flight set
// its time (H200, 2B-4T at 512 positions: 23 us a call against 33 with one slice). A call of many blocks (prefill)
// takes one slice: blocks of 128 threads fill the multiprocessors and pay fewer barriers (512 prompt tokens: 176 us
// a call against 338 with four).
//
// Spans: a decode step is one row over few kv heads (2B-4T: 5 blocks), too few to keep a device busy over a long
// context, so the positions may be split into spans of `span` keys (a multiple of ATT_CHUNK), one block each
// (src/backends/cuda/attention-plan.ts picks them). A block of a row with more than one span leaves its max, sum and
// unnormalised output in `part`; the last block of its (row, kv head, head group) to finish — a counter in `done`,
// put back to 0 by that block — combines them in span order, so the result does not depend on which block ran last.
// All blocks of a row with one span write `out` themselves.
#define ATT_CHUNK 128
#define ATT_SLICES 4
#define ATT_THREADS (ATT_CHUNK * ATT_SLICES) // the largest block
#define ATT_DIMS 4
#define ATT_HEADS 4

// The max (isMax) or sum over the block of every thread's v[0 .. ATT_HEADS), returned in v to every thread.
__device__ void blockReduceHeads(float* v, bool isMax) {
  __shared__ float part[ATT_HEADS][32];
#pragma unroll
  for (int hh = 0; hh < ATT_HEADS; hh++) {
    for (int o = 16; o > 0; o >>= 1) {
      float other = __shfl_down_sync(0xffffffffu, v[hh], o);
      v[hh] = isMax ? fmaxf(v[hh], other) : v[hh] + other;
    }
  }
  int lane = threadIdx.x % WARP, warp = threadIdx.x / WARP, warps = blockDim.x / WARP;
  __syncthreads(); // every thread has read the previous call's part
  if (lane == 0) {
#pragma unroll
    for (int hh = 0; hh < ATT_HEADS; hh++) part[hh][warp] = v[hh];
  }
  __syncthreads();
#pragma unroll
  for (int hh = 0; hh < ATT_HEADS; hh++) {
    float r = part[hh][0];
    for (int w = 1; w < warps; w++) r = isMax ? fmaxf(r, part[hh][w]) : r + part[hh][w];
    v[hh] = r;
  }
}

// Grid: T * Hkv * groups * spans blocks of ATT_CHUNK or ATT_THREADS threads, groups = ceil((H / Hkv) / ATT_HEADS); block index
// ((t * Hkv + kvh) * groups + g) * spans + s. part: [T][H][spans][2 + D] floats (m, l, output), done: [T * Hkv * groups]
// ints, both unused (may be null) when spans == 1. *pos: the call's first position (device memory, so that a decode
// step's launches stay the same from token to token: src/backends/cuda/step-launches.ts).
extern "C" __global__ void __launch_bounds__(ATT_THREADS) attention(const float* q, const float* kc, const float* vc, float* out, int T, int H, int Hkv, int D, const int* pos, float scale, int capacity, int span, int spans, float* part, int* done) {
  __shared__ float qs[ATT_HEADS][ATT_CHUNK * ATT_DIMS]; // the heads' queries; the slices' outputs at the end
  __shared__ float p[ATT_HEADS][ATT_CHUNK];
  __shared__ float dots[ATT_SLICES][ATT_HEADS][ATT_CHUNK];
  __shared__ int isLast;
  int G = H / Hkv, groups = (G + ATT_HEADS - 1) / ATT_HEADS;
  int b = blockIdx.x, s = b % spans, counter = b / spans;
  int g = counter % groups, kvh = (counter / groups) % Hkv, t = counter / groups / Hkv, tid = threadIdx.x;
  int lane = tid % ATT_CHUNK, slice = tid / ATT_CHUNK, slices = blockDim.x / ATT_CHUNK;
  int h0 = kvh * G + g * ATT_HEADS, nh = min(ATT_HEADS, G - g * ATT_HEADS), kvDim = Hkv * D;
  int n = *pos + t + 1, rowSpans = (n + span - 1) / span;
  if (s >= rowSpans) return; // this row's context ends before the span (the whole block leaves together)
  int j0 = s * span, j1 = min(n, j0 + span);

  // Heads past nh (a group smaller than ATT_HEADS) see q = 0: computed alongside, never written.
#pragma unroll
  for (int hh = 0; hh < ATT_HEADS; hh++) {
    const float* qr = q + ((size_t)t * H + h0 + hh) * D;
    for (int d = tid; d < D; d += blockDim.x) qs[hh][d] = hh < nh ? qr[d] : 0.0f;
  }
  __syncthreads();
  float m[ATT_HEADS], l[ATT_HEADS], o[ATT_HEADS][ATT_DIMS];
#pragma unroll
  for (int hh = 0; hh < ATT_HEADS; hh++) {
    m[hh] = -3.0e38f;
    l[hh] = 0.0f;
#pragma unroll
    for (int i = 0; i < ATT_DIMS; i++) o[hh][i] = 0.0f;
  }
  for (int c0 = j0; c0 < j1; c0 += ATT_CHUNK) {
    int j = c0 + lane, chunk = min(ATT_CHUNK, j1 - c0);
    float sc[ATT_HEADS], mx[ATT_HEADS], alpha[ATT_HEADS];
    if (j < j1) {
      const float* kr = kc + (size_t)kvh * D * capacity + j;
      float dot[ATT_HEADS];
#pragma unroll
      for (int hh = 0; hh < ATT_HEADS; hh++) dot[hh] = 0.0f;
#pragma unroll 8
      for (int d = slice; d < D; d += slices) {
        float k = kr[(size_t)d * capacity];
#pragma unroll
        for (int hh = 0; hh < ATT_HEADS; hh++) dot[hh] += qs[hh][d] * k;
      }
#pragma unroll
      for (int hh = 0; hh < ATT_HEADS; hh++) dots[slice][hh][lane] = dot[hh];
    }
    __syncthreads(); // every slice's share of the dot products is published
#pragma unroll
    for (int hh = 0; hh < ATT_HEADS; hh++) {
      float dot = dots[0][hh][lane];
#pragma unroll
      for (int r = 1; r < slices; r++) dot += dots[r][hh][lane];
      sc[hh] = j < j1 ? dot * scale : -3.0e38f;
      mx[hh] = sc[hh];
    }
    blockReduceHeads(mx, true);
#pragma unroll
    for (int hh = 0; hh < ATT_HEADS; hh++) {
      float mNew = fmaxf(m[hh], mx[hh]);
      float e = j < j1 ? expf(sc[hh] - mNew) : 0.0f;
      if (slice == 0) p[hh][lane] = e;
      alpha[hh] = expf(m[hh] - mNew); // 0 on the first chunk
      l[hh] = l[hh] * alpha[hh] + (slice == 0 ? e : 0.0f); // each key counted once, by slice 0
      m[hh] = mNew;
    }
    __syncthreads(); // p is published
#pragma unroll
    for (int i = 0; i < ATT_DIMS; i++) {
      int d = lane + i * ATT_CHUNK;
      if (d >= D) break;
      float acc[ATT_HEADS];
#pragma unroll
      for (int hh = 0; hh < ATT_HEADS; hh++) acc[hh] = o[hh][i] * alpha[hh];
      const float* vr = vc + (size_t)c0 * kvDim + kvh * D + d;
#pragma unroll 8
      for (int jj = slice; jj < chunk; jj += slices) {
        float v = vr[(size_t)jj * kvDim];
#pragma unroll
        for (int hh = 0; hh < ATT_HEADS; hh++) acc[hh] += p[hh][jj] * v;
      }
#pragma unroll
      for (int hh = 0; hh < ATT_HEADS; hh++) o[hh][i] = acc[hh];
    }
    __syncthreads(); // every thread has read p and dots before the next chunk writes them
  }
  // The slices' outputs, added in slice order into slice 0's registers (qs is free now).
  for (int r = 1; r < slices; r++) {
    if (slice == r) {
#pragma unroll
      for (int hh = 0; hh < ATT_HEADS; hh++)
#pragma unroll
        for (int i = 0; i < ATT_DIMS; i++) qs[hh][lane + i * ATT_CHUNK] = o[hh][i];
    }
    __syncthreads();
    if (slice == 0) {
#pragma unroll
      for (int hh = 0; hh < ATT_HEADS; hh++)
#pragma unroll
        for (int i = 0; i < ATT_DIMS; i++) o[hh][i] += qs[hh][lane + i * ATT_CHUNK];
    }
    __syncthreads();
  }
  blockReduceHeads(l, false);

  if (rowSpans == 1) {
    if (slice != 0) return;
    for (int hh = 0; hh < nh; hh++) {
#pragma unroll
      for (int i = 0; i < ATT_DIMS; i++) {
        int d = lane + i * ATT_CHUNK;
        if (d < D) out[((size_t)t * H + h0 + hh) * D + d] = o[hh][i] / l[hh];
      }
    }
    return;
  }

  for (int hh = 0; hh < nh && slice == 0; hh++) {
    float* pr = part + (((size_t)t * H + h0 + hh) * spans + s) * (2 + D);
    if (tid == 0) {
      pr[0] = m[hh];
      pr[1] = l[hh];
    }
#pragma unroll
    for (int i = 0; i < ATT_DIMS; i++) {
      int d = lane + i * ATT_CHUNK;
      if (d < D) pr[2 + d] = o[hh][i];
    }
  }
  __threadfence(); // this block's partials are visible device-wide before its count is
  __syncthreads();
  if (tid == 0) isLast = atomicAdd(done + counter, 1) == rowSpans - 1;
  __syncthreads();
  if (!isLast) return;
  __threadfence();
  // The last block: out = sum_s exp(m_s - M) o_s / sum_s exp(m_s - M) l_s, M = max_s m_s, spans in order. Read through
  // volatile so that no copy of another block's partials cached before they were written is used.
  for (int hh = 0; hh < nh; hh++) {
    const volatile float* pr = part + ((size_t)t * H + h0 + hh) * spans * (2 + D);
    float M = -3.0e38f, L = 0.0f;
    for (int r = 0; r < rowSpans; r++) M = fmaxf(M, pr[r * (2 + D)]);
    for (int r = 0; r < rowSpans; r++) L += pr[r * (2 + D) + 1] * expf(pr[r * (2 + D)] - M);
    for (int d = tid; d < D; d += blockDim.x) {
      float acc = 0.0f;
      for (int r = 0; r < rowSpans; r++) acc += pr[r * (2 + D) + 2 + d] * expf(pr[r * (2 + D)] - M);
      out[((size_t)t * H + h0 + hh) * D + d] = acc / L;
    }
  }
  if (tid == 0) done[counter] = 0; // ready for the next launch
}
