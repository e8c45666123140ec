#!/usr/bin/env node
/**
 * Decode-product candidates (gemv-variants.cu) against the backend's kernels — ternary_row_int8 (the decode product
 * since 2026-11-27, gemv_g1's design) and ternary_int8 (the token-tiled loop) — on the 2B-4T decode shapes, GPU time
 * only: a spin kernel holds the device while the host queues `reps` launches, and CUDA events around them
 * give the device's time per launch (back to back in the stream). Every candidate's output must equal
 * ternary_int8's bit for bit. Usage: node bench/device/gemv-variants.mjs [--out FILE.json]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { openDeviceTimer } from './device-timer.mjs';

const dist = (p) => import(new URL(`../../dist/${p}`, import.meta.url).href);
const { openCuda } = await dist('backends/cuda/open.js');
const { driver, kernels } = await openCuda();
const timer = openDeviceTimer(driver);
const [e0, e1] = timer.events(2);
const src = (p) => readFileSync(new URL(p, import.meta.url), 'utf8');
const VARIANTS = ['gemv_g1', 'gemv_g2', 'gemv_g4', 'gemv_s1', 'gemv_s2', 'gemv_s4'];
const mod = driver.loadModule(driver.compile(`${src('../../src/kernels/cuda/common.cuh')}\n${src('./gemv-variants.cu')}`, 'gemv-variants.cu'), [...VARIANTS, 'empty_kernel']);
const P = (v) => ({ type: 'ptr', value: v });
const I = (v) => ({ type: 'i32', value: v });
const F = (v) => ({ type: 'f32', value: v });

/** µs of device time per launch, `reps` launches back to back. */
function deviceUs(kernel, grid, block, shared, args, reps = 200) {
  timer.spin();
  timer.record(e0);
  for (let i = 0; i < reps; i++) driver.launch(kernel, grid, block, shared, args);
  timer.record(e1);
  timer.synchronize(e1);
  return timer.elapsedUs(e0, e1) / reps;
}

let seed = 7;
const rand = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0);
const results = { device: driver.deviceName, emptyKernelUs: deviceUs(mod.get('empty_kernel'), 1, [32, 1], 0, []), shapes: [] };
for (const [label, N, K] of [['o (2560x2560)', 2560, 2560], ['qkv (3840x2560)', 3840, 2560], ['gate+up (13824x2560)', 13824, 2560], ['down (2560x6912)', 2560, 6912]]) {
  const Kw = K / 16;
  const words = new Uint32Array(N * Kw);
  for (let i = 0; i < words.length; i++) {
    let word = 0;
    for (let k = 0; k < 16; k++) word |= (rand() % 3) << (2 * k);
    words[i] = word >>> 0;
  }
  const q = Int8Array.from({ length: K }, () => (rand() % 255) - 127);
  const w = driver.alloc(words.byteLength);
  driver.upload(w, words);
  const qd = driver.alloc(K);
  driver.upload(qd, q);
  const s = driver.alloc(8);
  driver.upload(s, new Float64Array([127 / 3.5]));
  const y = driver.alloc(4 * N);
  const args = [P(w), I(N), I(Kw), P(qd), P(s), I(1), F(0.75), P(y)];
  const want = new Float32Array(N);
  const row = { shape: label, packedMB: words.byteLength / 1e6, variants: {} };
  row.variants.ternary_int8 = deviceUs(kernels.get('ternary_int8'), Math.ceil(N / 8), [32, 8], 0, args);
  driver.download(want, y);
  const none = [P(0n), I(0), F(0), P(0n)];
  driver.zero(y, 4 * N);
  const rowUs = deviceUs(kernels.get('ternary_row_int8'), Math.ceil(N / 8), [32, 8], 0, [P(w), I(N), F(0.75), P(y), ...none, ...none, I(Kw), P(qd), P(s)]);
  const rowGot = new Float32Array(N);
  driver.download(rowGot, y);
  row.variants.ternary_row_int8 = rowGot.every((v, i) => Object.is(v, want[i])) ? rowUs : `WRONG (${rowUs})`;
  for (const name of VARIANTS) {
    const R = Number(name.slice(-1));
    const smem = name.includes('_s') ? K : 0;
    driver.zero(y, 4 * N);
    const us = deviceUs(mod.get(name), Math.ceil(N / (8 * R)), [32, 8], smem, args);
    const got = new Float32Array(N);
    driver.download(got, y);
    const same = got.every((v, i) => Object.is(v, want[i]));
    row.variants[name] = same ? us : `WRONG (${us})`;
  }
  for (const [name, us] of Object.entries(row.variants)) if (typeof us === 'number') row.variants[name] = `${us.toFixed(2)} us (${(row.packedMB / us * 1e6 / 1e3).toFixed(0)} GB/s)`;
  results.shapes.push(row);
  for (const p of [w, qd, s, y]) driver.free(p);
}
console.log(JSON.stringify(results, null, 1));
const out = process.argv.includes('--out') ? process.argv[process.argv.indexOf('--out') + 1] : null;
if (out !== null) writeFileSync(out, JSON.stringify(results, null, 1));
process.exit(0);
