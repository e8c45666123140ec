/**
 * The browser demo (`npm run demo`; `npm run demo:build` writes dist-demo/). The page imports the engine's browser
 * entry from src/ (Vite compiles the TypeScript), and the shipped model folder is served as-is from models/ (Vite's
 * public folder, so `/tiny-bitnet/…`), never copied into git. Every response carries the cross-origin isolation
 * headers the wasm backend's threads need (SharedArrayBuffer): docs/browser.md.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

/** COOP + COEP: the page is cross-origin isolated, so it may share WebAssembly memory with its workers. */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  root: here('.'),
  publicDir: here('../models'),
  // Files are files: no index.html fallback for a model file that is absent (the loader treats 404 as "absent").
  appType: 'mpa',
  server: { headers: ISOLATION_HEADERS, fs: { allow: [here('..')] } },
  preview: { headers: ISOLATION_HEADERS },
  build: { outDir: here('../dist-demo'), emptyOutDir: true, target: 'es2022' },
});
