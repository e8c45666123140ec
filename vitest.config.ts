import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * WebGPU tests need an adapter. Where the environment names no Vulkan driver and Debian's Chromium is installed
 * (.ci/run installs it), Dawn is pointed at Chromium's SwiftShader, a Vulkan implementation on the CPU. A machine
 * with a GPU (its driver found the usual way) or an explicit VK_ICD_FILENAMES is left alone.
 */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const webgpuEnv: Record<string, string> =
  process.env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER_ICD)
    ? { VK_ICD_FILENAMES: SWIFTSHADER_ICD, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' }
    : {};

/** NVRTC unpacked by .ci/run (test/backends/cuda-nvrtc.test.ts), unless the environment names one already. */
const CI_NVRTC = '.ci/cache/nvrtc/libnvrtc.so.13';
const nvrtcEnv: Record<string, string> = process.env.BITNET_NVRTC_LIBRARY === undefined && existsSync(CI_NVRTC) ? { BITNET_NVRTC_LIBRARY: resolve(CI_NVRTC) } : {};

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'spec/**/*.spec.ts'],
    // The float64 reference is deliberately plain TypeScript; the held-out perplexity runs 20,000 tokens.
    testTimeout: 600_000,
    hookTimeout: 120_000,
    env: { ...webgpuEnv, ...nvrtcEnv },
    // tfjs-backend-webgpu's Node entry is a CommonJS bundle that require()s tfjs-core's CommonJS build, while Vite
    // resolves our own import of tfjs-core to its ES module: two tfjs engines. Inlining both makes them one.
    server: { deps: { inline: [/@tensorflow\/tfjs-/] } },
  },
});
