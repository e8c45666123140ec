/**
 * Deterministic work for the wasm backend, large enough that every op is split across threads, in plain
 * JavaScript so that the same file runs in Node (vitest) and in a browser page. The caller passes the backend
 * class and helpers (from src/ in Node, from dist/ in the page) and compares the results bit for bit.
 */

function rng(seed) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** Runs a ternary product, an lm_head, an RMSNorm, a SiLU gate and an attention step; returns their outputs. */
export async function runSplitWork({ WasmBackend, packTernaryRows, fromArray }, threads) {
  const b = await WasmBackend.create({ threads });
  try {
    const r = rng(11);
    const out = {};

    const [N, K, T] = [515, 1000, 3]; // ragged rows and columns
    const t = Int8Array.from({ length: N * K }, () => Math.floor(r() * 3) - 1);
    const w = b.uploadTernary({ rows: N, cols: K, packed: packTernaryRows(t, N, K), scale: 0.75, storage: 'hf-packed' });
    const x = b.allocate(T, K);
    b.write(x, Float32Array.from({ length: T * K }, () => r() * 4 - 2));
    const xq = b.allocateQuantized(T, K);
    b.ops.quantizeActivations({ out: xq, x });
    const y = b.allocate(T, N);
    b.ops.ternaryMatmul({ out: y, w, x: xq });
    out.ternary = Array.from(await b.read(y));

    const [V, d] = [4099, 132];
    const table = b.uploadMatrix(fromArray('f32', [V, d], Float32Array.from({ length: V * d }, () => r() - 0.5)));
    const h = b.allocate(2, d);
    b.write(h, Float32Array.from({ length: 2 * d }, () => r() - 0.5));
    const logits = b.allocate(2, V);
    b.ops.lmHead({ out: logits, x: h, table, fromRow: 0 });
    out.lmHead = Array.from(await b.read(logits));

    const [R, C] = [16, 1100];
    const a = b.allocate(R, C);
    b.write(a, Float32Array.from({ length: R * C }, () => r() * 6 - 3));
    const g = b.allocate(R, C);
    b.write(g, Float32Array.from({ length: R * C }, () => r() * 6 - 3));
    const normed = b.allocate(R, C);
    b.ops.rmsnorm({ out: normed, x: a, weight: b.uploadVector(fromArray('f32', [C], Float32Array.from({ length: C }, () => r() + 0.5))), eps: 1e-5 });
    out.rmsnorm = Array.from(await b.read(normed));
    b.ops.siluMul({ out: g, gate: g, up: a });
    out.siluMul = Array.from(await b.read(g));

    const [H, Hkv, D, steps] = [8, 2, 64, 40];
    const cache = b.allocateKvCache(1, 64, Hkv * D);
    const q = b.allocate(steps, H * D);
    const k = b.allocate(steps, Hkv * D);
    const v = b.allocate(steps, Hkv * D);
    b.write(q, Float32Array.from({ length: steps * H * D }, () => r() - 0.5));
    b.write(k, Float32Array.from({ length: steps * Hkv * D }, () => r() - 0.5));
    b.write(v, Float32Array.from({ length: steps * Hkv * D }, () => r() - 0.5));
    const att = b.allocate(steps, H * D);
    b.ops.attention({ out: att, q, k, v, cache, layer: 0, startPos: 0, numHeads: H, numKvHeads: Hkv, headDim: D });
    out.attention = Array.from(await b.read(att));
    b.releaseKvCache(cache);

    return { info: b.info(), ...out };
  } finally {
    b.dispose();
  }
}
