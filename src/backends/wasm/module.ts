/**
 * Loads the assembled kernels (src/kernels/wasm/kernels-wat.ts, built by scripts/build-wasm.mjs) in Node or a
 * browser: the relaxed-SIMD module where the engine accepts it, else the baseline-SIMD one.
 */
export interface KernelExports {
  ternary_dots_rows(w: number, groups: number, kblocks: number, x: number, T: number, out: number, scratch: number, g0: number, g1: number): void;
  ternary_products(desc: number, count: number, x: number, T: number, scales: number, sums: number, scratch: number, g0: number, g1: number): void;
  ternary_q8k_rows(w: number, groups: number, kb: number, q: number, d: number, qsums: number, T: number, out: number, rows: number, params: number, dots: number, g0: number, g1: number): void;
  lm_head_f32(table: number, V: number, d: number, x: number, T: number, out: number, v0: number, v1: number): void;
  lm_head_f16(table: number, V: number, d: number, x: number, T: number, out: number, v0: number, v1: number): void;
  lm_head_f16x(table: number, V: number, d: number, x: number, T: number, out: number, v0: number, v1: number): void;
  lm_head_bf16(table: number, V: number, d: number, x: number, T: number, out: number, v0: number, v1: number): void;
  lm_head_i8(table: number, scales: number, V: number, d: number, xq: number, xScales: number, T: number, out: number, v0: number, v1: number): void;
  attention_heads(q: number, kc: number, vc: number, out: number, T: number, startPos: number, H: number, Hkv: number, D: number, cap: number, scores: number, h0: number, h1: number): void;
  quantize_rows(x: number, T: number, K: number, q: number, paddedK: number, scales: number, sums: number): void;
  rmsnorm_rows(x: number, w: number, out: number, K: number, params: number, r0: number, r1: number): void;
  silu_mul(out: number, gate: number, up: number, i0: number, i1: number): void;
  relu_sq_mul(out: number, gate: number, up: number, i0: number, i1: number): void;
  add(out: number, a: number, b: number, i0: number, i1: number): void;
}

export interface LoadedKernels {
  readonly module: WebAssembly.Module;
  readonly features: readonly string[];
}

const isNode = typeof process !== 'undefined' && process.versions?.node !== undefined;

// Spelled out whole so that bundlers (Vite, webpack) see each file and ship it next to the code that loads it.
const RELAXED_URL = new URL('../../kernels/wasm/kernels-relaxed.wasm', import.meta.url);
const SIMD_URL = new URL('../../kernels/wasm/kernels-simd.wasm', import.meta.url);

async function readBytes(url: URL): Promise<Uint8Array<ArrayBuffer>> {
  if (isNode) {
    const { readFile } = await import('node:fs/promises');
    return new Uint8Array(await readFile(url));
  }
  return new Uint8Array(await (await fetch(url)).arrayBuffer());
}

let cached: Promise<LoadedKernels> | null = null;

/** Compiles the best kernel module this engine runs; rejects with the reason when none does. */
export function loadKernels(): Promise<LoadedKernels> {
  cached ??= (async () => {
    if (typeof WebAssembly !== 'object') throw new Error('WebAssembly is not available');
    if (typeof SharedArrayBuffer !== 'function') throw new Error('SharedArrayBuffer is not available (a browser page needs cross-origin isolation)');
    if (isNode) {
      // Node 20 ships relaxed SIMD behind a flag; it must be set before the module is compiled.
      const v8 = await import('node:v8');
      v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    }
    const relaxed = await readBytes(RELAXED_URL);
    if (WebAssembly.validate(relaxed)) return { module: await WebAssembly.compile(relaxed), features: ['simd128', 'relaxed-simd', 'shared-memory'] };
    const simd = await readBytes(SIMD_URL);
    if (WebAssembly.validate(simd)) return { module: await WebAssembly.compile(simd), features: ['simd128', 'shared-memory'] };
    throw new Error('this WebAssembly engine lacks 128-bit SIMD or shared memory');
  })();
  return cached;
}
