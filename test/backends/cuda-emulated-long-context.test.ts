/**
 * The cuda backend's attention over contexts longer than one block's shared memory could hold as scores (the
 * kernel before this one refused more than 12,288 positions): 13,000 cached positions, written straight into the
 * device cache (filling it through attention calls would cost the emulator O(n²) fibers), then two new tokens
 * attend over all of them. Keys grow along the context so that the running max of the online softmax rises from one
 * block of keys to the next; the expected output is spec/math.ts's float64 softmax attention. Both ways the kernel
 * divides the keys are checked: spans of keys in separate blocks, combined by the last to finish, and one block
 * walking every chunk.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/random.js';
import { naiveAttention } from '../../spec/math.js';
import { createEmulatedCudaBackend, emulatedCudaUnavailable } from '../helpers/cuda-emulator/backend.js';

const unavailable = emulatedCudaUnavailable();

// The device's plan splits the 13,002 positions into 51 spans of 256 keys combined at the end; toward one block,
// each block walks all 102 chunks of 128 keys with its online softmax.
const PLANS = [
  { name: 'split into spans (the device plan)', attentionBlocks: undefined },
  { name: 'one block a head group', attentionBlocks: 1 },
];

describe.skipIf(unavailable !== null)(`cuda attention over 13,000 positions [emulated]${unavailable === null ? '' : ` skipped: ${unavailable}`}`, () => {
  it.each(PLANS)('$name: matches the float64 softmax attention, and a head dimension over 512 is refused by name', async ({ attentionBlocks }) => {
    const { backend, driver } = createEmulatedCudaBackend({ attentionBlocks });
    const [prefix, T, H, Hkv, D] = [13_000, 2, 4, 2, 8];
    const n = prefix + T;
    const kvDim = Hkv * D;
    const rng = new Rng(7);
    const draw = (count: number, scaleOf: (row: number) => number, cols: number) => Float32Array.from({ length: count }, (_, i) => (rng.nextFloat() * 2 - 1) * scaleOf(Math.floor(i / cols)));
    const q = draw(T * H * D, () => 1, H * D);
    const k = draw(n * kvDim, (row) => 1 + (3 * row) / n, kvDim);
    const v = draw(n * kvDim, () => 1, kvDim);

    const cache = backend.allocateKvCache(1, n, kvDim) as unknown as { k: bigint[]; v: bigint[] };
    // The backend keeps keys transposed, [kvDim][capacity] (bitnet.cu's attention); values as rows.
    const kT = new Float32Array(kvDim * n);
    for (let j = 0; j < prefix; j++) for (let c = 0; c < kvDim; c++) kT[c * n + j] = k[j * kvDim + c];
    driver.upload(cache.k[0], kT);
    driver.upload(cache.v[0], v.subarray(0, prefix * kvDim));
    const load = (rows: number, cols: number, data: Float32Array) => {
      const buf = backend.allocate(rows, cols);
      backend.write(buf, data);
      return buf;
    };
    const out = backend.allocate(T, H * D);
    const args = { out, q: load(T, H * D, q), k: load(T, kvDim, k.subarray(prefix * kvDim)), v: load(T, kvDim, v.subarray(prefix * kvDim)), cache: cache as never, layer: 0, startPos: prefix, numHeads: H, numKvHeads: Hkv, headDim: D };
    backend.ops.attention(args);
    const got = await backend.read(out);
    const want = naiveAttention(q, k, v, T, prefix, H, Hkv, D);
    // spec/tolerances.ts's float32 attention bound at this context length: (2(D + 1) + 2n + 12) units of float32
    // rounding, relative to Σα|v| (about 1.6e-3 here; a wrongly rescaled chunk is off by far more).
    const rel = (2 * (D + 1) + 2 * n + 12) * 2 ** -24;
    for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - want.out[i]), `output ${i}`).toBeLessThanOrEqual(rel * want.scale[i]);
    const wide = () => backend.allocate(1, 1024);
    const wideArgs = { out: wide(), q: wide(), k: wide(), v: wide(), cache: backend.allocateKvCache(1, 1, 1024), layer: 0, startPos: 0, numHeads: 1, numKvHeads: 1, headDim: 1024 };
    expect(() => backend.ops.attention(wideArgs)).toThrow(/head dimension 1024 exceeds the 512/);
    backend.dispose();
  });
});
