/**
 * The wasm backend in a real browser (Debian's Chromium, headless, driven by playwright-core): with threads: 2 it
 * starts a Web Worker over the shared memory, and every split op gives bit for bit what Node's worker_threads give —
 * from the page's main thread (which may not block, so it spins) and from inside a Web Worker (which sleeps).
 * Without Chromium at CHROMIUM_PATH (default /usr/bin/chromium; .ci/run installs it) the tests say they skipped.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { WasmBackend } from '../../src/backends/wasm/index.js';
import { packTernaryRows } from '../../src/formats/ternary-rows.js';
import { fromArray } from '../../src/tensor.js';
import { startIsolatedServer, type IsolatedServer } from '../helpers/isolated-server.js';
import { runSplitWork, type SplitWorkResult } from './wasm-work.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`skipped: no Chromium at ${CHROMIUM} (browser tests of the wasm backend)`);

const IMPORTS = `
import { WasmBackend } from '/dist/backends/wasm/index.js';
import { packTernaryRows } from '/dist/formats/ternary-rows.js';
import { fromArray } from '/dist/tensor.js';
import { runSplitWork } from '/test/browser/wasm-work.mjs';
const api = { WasmBackend, packTernaryRows, fromArray };
`;
const WORKER_JS = `${IMPORTS}
runSplitWork(api, 2).then((r) => postMessage({ ok: true, isolated: crossOriginIsolated, result: r }), (e) => postMessage({ ok: false, error: String(e && e.stack || e) }));
`;
const PAGE = `<!doctype html><title>wasm web workers</title><script type="module">${IMPORTS}
const settle = (p) => p.then((result) => ({ ok: true, isolated: crossOriginIsolated, result }), (e) => ({ ok: false, error: String(e && e.stack || e) }));
window.mainThread = settle(runSplitWork(api, 2));
window.inWorker = window.mainThread.then(() => new Promise((resolve) => {
  const w = new Worker('/worker.js', { type: 'module' });
  w.onmessage = (e) => resolve(e.data);
  w.onerror = (e) => resolve({ ok: false, error: 'worker error: ' + e.message });
}));
</script>`;

interface PageOutcome {
  ok: boolean;
  isolated?: boolean;
  error?: string;
  result?: SplitWorkResult;
}

describe.skipIf(!hasChromium)('wasm backend Web Workers in Chromium', () => {
  let server: IsolatedServer;
  let browser: Browser;
  let expected: SplitWorkResult;
  let outcomes: { mainThread: PageOutcome; inWorker: PageOutcome };

  beforeAll(async () => {
    expected = await runSplitWork({ WasmBackend, packTernaryRows, fromArray }, 2);
    const root = resolve(import.meta.dirname, '../..');
    server = await startIsolatedServer(root, { '/index.html': PAGE });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-background-networking', '--no-first-run'] });
    const page = await browser.newPage();
    await page.route('**/worker.js', (route) =>
      route.fulfill({ body: WORKER_JS, contentType: 'text/javascript', headers: { 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Opener-Policy': 'same-origin' } }),
    );
    await page.goto(`${server.url}/index.html`);
    outcomes = await page.evaluate(async () => {
      const w = window as unknown as { mainThread: Promise<PageOutcome>; inWorker: Promise<PageOutcome> };
      return { mainThread: await w.mainThread, inWorker: await w.inWorker };
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const where of ['mainThread', 'inWorker'] as const) {
    it(`runs split ops on a Web Worker with Node's exact results (${where === 'mainThread' ? "page's main thread" : 'inside a Web Worker'})`, () => {
      const o = outcomes[where];
      expect(o.error).toBeUndefined();
      expect(o.ok).toBe(true);
      expect(o.isolated).toBe(true);
      const r = o.result!;
      expect(r.info.threads).toBe(2);
      expect(r.info.features).toContain('simd128');
      for (const key of ['ternary', 'lmHead', 'rmsnorm', 'siluMul', 'attention'] as const) {
        expect(r[key].length, key).toBe(expected[key].length);
        expect(r[key], key).toEqual(expected[key]);
      }
    });
  }
});
