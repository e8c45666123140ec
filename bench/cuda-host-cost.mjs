/**
 * The cuda backend's host cost per decode token, without a GPU: the real backend and model over a driver whose every
 * call does nothing, at the 2B-4T shape (a synthetic GGUF, written to /tmp on first use). It measures the
 * JavaScript a token costs (ops, fusion, step recording) and counts the driver calls a token makes — on a device
 * each cuLaunchKernel adds a few microseconds of its own (4.4 µs measured on an H200's host, docs/backends.md),
 * which is what CUDA graphs (on by default; BITNET_CUDA_GRAPHS=off) replace with one cuGraphLaunch.
 *
 * Usage: npm run build && node bench/cuda-host-cost.mjs [--tokens 300] [--shape 2b4t]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : process.argv[i + 1];
};
const TOKENS = Number(arg('tokens', '300'));
const SHAPE = arg('shape', '2b4t');
const { CudaBackend, KERNELS } = await import(`${ROOT}dist/backends/cuda/index.js`);
const { registerBackend } = await import(`${ROOT}dist/backends/registry.js`);
const { InferenceEngine } = await import(`${ROOT}dist/engine/engine.js`);

const model = `/tmp/synth-${SHAPE}-tq2_0-s1.gguf`;
if (!existsSync(model)) {
  const r = spawnSync(process.execPath, [`${ROOT}dist/cli/main.js`, 'synth', '--shape', SHAPE, '--type', 'tq2_0', '--seed', '1', '-o', model], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`bitnet synth exited ${r.status}`);
}

/** A driver that does nothing and counts its calls. */
function noopDriver() {
  let next = 0x1000n;
  const calls = { launch: 0, graphLaunch: 0, copies: 0 };
  return {
    calls,
    driver: {
      deviceName: 'no-op',
      computeCapability: 90,
      compilerId: 'none',
      alloc: (bytes) => (next += BigInt(Math.ceil(bytes / 256) * 256 + 256)),
      free: () => undefined,
      upload: () => void calls.copies++,
      download: () => void calls.copies++,
      copy: () => void calls.copies++,
      zero: () => undefined,
      compile: () => new Uint8Array(0),
      loadModule: () => new Map(),
      synchronize: () => undefined,
      launch: () => void calls.launch++,
      graphs: { capture: (record) => (record(), {}), launch: () => void calls.graphLaunch++, destroy: () => undefined },
    },
  };
}

const rows = [];
for (const graphs of [false, true]) {
  const name = `cuda-noop-${graphs ? 'graphs' : 'direct'}`;
  const made = noopDriver();
  registerBackend({ name, unavailableReason: async () => null, create: async () => CudaBackend.withDriver(made.driver, new Map(KERNELS.map((k) => [k, k])), { graphs }) });
  const engine = await InferenceEngine.load(model, { backend: name });
  const m = engine.model;
  const cache = m.createCache(TOKENS + 64);
  await m.forward(Int32Array.from({ length: 16 }, (_, i) => i + 1), cache);
  for (let i = 0; i < 20; i++) await m.forwardArgmax(Int32Array.of(1), cache); // warm up (and capture)
  const before = { ...made.calls };
  const t = performance.now();
  for (let i = 0; i < TOKENS; i++) await m.forwardArgmax(Int32Array.of(1), cache);
  const ms = (performance.now() - t) / TOKENS;
  const per = (k) => (made.calls[k] - before[k]) / TOKENS;
  rows.push({ graphs, msPerToken: ms, launchesPerToken: per('launch'), graphLaunchesPerToken: per('graphLaunch'), copiesPerToken: per('copies') });
  engine.close();
}
for (const r of rows) {
  console.log(`${r.graphs ? 'graphs on ' : 'graphs off'}  ${r.msPerToken.toFixed(3)} ms/token of JavaScript; per token: ${r.launchesPerToken} cuLaunchKernel, ${r.graphLaunchesPerToken} cuGraphLaunch, ${r.copiesPerToken} copies`);
}
console.log(JSON.stringify({ shape: SHAPE, tokens: TOKENS, rows }));
